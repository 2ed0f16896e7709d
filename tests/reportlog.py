"""A usage log whose every count is known, for the report tests: last month's first,
second and last day, and the day before it, which no figure may count."""

import datetime
from collections import Counter

from bot import usage
from bot.reports import queries
from tests.helpers import services_of

KEY = "report-test-key"
FIRST, LAST = queries.last_full_month()
SECOND = FIRST + datetime.timedelta(days=1)
BEFORE = FIRST - datetime.timedelta(days=1)  # the month before: outside the range
CATEGORY_OF = {
    "health/salt": "health",
    "wechat/video-call": "smartphone",
    "fraud/fake-police": "fraud",
}

# (day, hour, user, kind, event, text, outcome, entry, alarm) — the known log.
LOG = [
    (FIRST, 9, "u1", "text", "", "一天吃多少盐", "answered", "health/salt", 0),
    (FIRST, 9, "u1", "text", "", "盐吃多少合适", "answered", "health/salt", 0),
    (FIRST, 9, "u1", "text", "", "明天天气怎么样", "fallback", None, 0),
    (FIRST, 20, "u2", "text", "", "明天天气怎么样呀", "fallback", None, 0),
    (FIRST, 20, "u2", "text", "", "怎么打视频", "answered", "wechat/video-call", 0),
    (SECOND, 9, "u3", "text", "", "警察让我转钱到安全账户", "answered", "fraud/fake-police", 1),
    (SECOND, 9, "u3", "text", "", "安全账户", "choice", None, 0),
    (LAST, 23, "u4", "text", "", "医保卡丢了怎么补办", "fallback", None, 0),
    # Out of scope, declined honestly: not answered either.
    (LAST, 22, "u4", "text", "", "这只股票明天涨不涨", "declined", None, 0),
    (LAST, 23, "u4", "voice", "", "盐一天吃几克", "answered", "health/salt", 0),
    (FIRST, 8, "u5", "event", "subscribe", "", "greeting", None, 0),
    (SECOND, 8, "u6", "event", "subscribe", "", "greeting", None, 0),
    (LAST, 8, "u5", "event", "unsubscribe", "", "event", None, 0),
    (LAST, 10, "u6", "event", "click", "", "topic", None, 0),
    # Outside the range: the day before it, and none of these may be counted.
    (BEFORE, 9, "u7", "text", "", "明天天气怎么样", "fallback", None, 0),
    (BEFORE, 9, "u7", "text", "", "一天吃多少盐", "answered", "health/salt", 1),
    (BEFORE, 9, "u7", "event", "subscribe", "", "greeting", None, 0),
]
# (day, entry, useful)
FEEDBACK = [
    (FIRST, "health/salt", 1),
    (FIRST, "health/salt", 1),
    (LAST, "health/salt", 0),
    (FIRST, "wechat/video-call", 0),
    (BEFORE, "wechat/video-call", 1),
]


def in_range(day):
    return FIRST <= day <= LAST


def expected_overview():
    """The headline figures, counted here in Python from the log above."""
    rows = [r for r in LOG if in_range(r[0])]
    messages = [r for r in rows if r[3] != "event"]
    outcomes = Counter(r[6] for r in messages)
    votes = Counter(f[2] for f in FEEDBACK if in_range(f[0]))
    active = {r[2] for r in rows if r[3] != "event" or r[4] == "click"}
    return {
        "messages": len(messages),
        "users": len(active),
        "follows": sum(1 for r in rows if r[4] == "subscribe"),
        "unfollows": sum(1 for r in rows if r[4] == "unsubscribe"),
        "clicks": sum(1 for r in rows if r[4] == "click"),
        "answered": outcomes["answered"],
        "choice": outcomes["choice"],
        "unanswered": outcomes["fallback"] + outcomes["declined"],
        "alarms": sum(r[8] for r in rows),
        "useful": votes[1],
        "not_useful": votes[0],
        # no family guardians in this log (tests/test_guardians.py has them)
        "guardian_bindings": 0,
        "guardian_alerts": 0,
        "guardian_failed": 0,
        "screenshots": 0,  # and no screenshot checks (tests/test_screenshots.py)
        "screenshot_scams": 0,
    }


def write_log(app, log=LOG, feedback=FEEDBACK):
    db = services_of(app).db()
    for day, hour, user, kind, event, text, outcome, entry, alarm in log:
        when = datetime.datetime.combine(day, datetime.time(hour, 30), tzinfo=usage.LOCAL_TZ)
        usage.record(
            db,
            hash_key=KEY,
            user=user,
            msg_type=kind,
            event=event,
            text=text,
            outcome=outcome,
            category=CATEGORY_OF.get(entry, "fraud" if event == "click" else None),
            entry_id=entry,
            alarm=alarm,
            when=when,
        )
    for day, entry, useful in feedback:
        db["feedback"].insert(
            {
                "ts": f"{day}T01:00:00+00:00",
                "day": day.isoformat(),
                "user_hash": "h",
                "entry_id": entry,
                "useful": useful,
                "question": "问",
            }
        )
    db.conn.commit()
    return db
