"""The usage log: one row per handled message, pseudonymous and masked.

Coordinators' reports read this table; a failure to write it never stops a reply.
"""

import datetime

from sqlite_utils import Migrations

from bot.outcomes import MATCHED, UNANSWERED
from bot.privacy import mask_numbers, user_hash

# The county's local time, for daily and hour-of-day figures.
LOCAL_TZ = datetime.timezone(datetime.timedelta(hours=8))
MAX_TEXT = 5000
COLUMNS = (
    "ts",
    "day",
    "hour",
    "user_hash",
    "msg_type",
    "event",
    "text",
    "outcome",
    "category",
    "entry_id",
    "score",
    "latency_ms",
    "msg_key",
    "alarm",
)
_INSERT = "insert into messages ({}) values ({})".format(
    ", ".join(COLUMNS), ", ".join(":" + c for c in COLUMNS)
)


def record(
    db,
    *,
    hash_key,
    user,
    msg_type,
    event="",
    text="",
    outcome,
    category=None,
    entry_id=None,
    score=None,
    latency_ms=None,
    msg_key=None,
    alarm=False,
    when=None,
):
    """Add one usage row to the current transaction; the caller commits, and handles a
    database that cannot be written (see Services.handle)."""
    when = when or datetime.datetime.now(datetime.UTC)
    local = when.astimezone(LOCAL_TZ)
    row = {
        "ts": when.isoformat(timespec="seconds"),
        "day": local.date().isoformat(),
        "hour": local.hour,
        "user_hash": user_hash(user or "", hash_key),
        "msg_type": msg_type,
        "event": event or "",
        "text": mask_numbers(text or "")[:MAX_TEXT],
        "outcome": outcome,
        "category": category,
        "entry_id": entry_id,
        "score": None if score is None else round(float(score), 4),
        "latency_ms": None if latency_ms is None else round(latency_ms, 2),
        "msg_key": msg_key,
        "alarm": int(bool(alarm)),
    }
    db.execute(_INSERT, row)


def record_feedback(db, ts, day, user_hash, entry_id, useful, question):
    """A resident's 有用 / 没用 on an answer; the caller commits."""
    db.execute(
        "insert into feedback (ts, day, user_hash, entry_id, useful, question)"
        " values (?, ?, ?, ?, ?, ?)",
        [ts, day, user_hash, entry_id, useful, question],
    )


def wrote_since(db, user_hash, since_ts):
    """Did this person send anything since an ISO timestamp (WeChat's 48-hour window)?"""
    row = db.execute(
        "select 1 from messages where user_hash = ? and ts >= ? limit 1", [user_hash, since_ts]
    ).fetchone()
    return row is not None


def forget_feedback(db, user_hash):
    """Drop one sender's 有用 / 没用 (staff trying the bot are not residents)."""
    db.execute("delete from feedback where user_hash = ?", [user_hash])


def questions_to_review(db, since_day, low_score, limit):
    """[(ts, text, reason, entry_id)], the latest first: questions the bot did not
    answer ("declined") or answered with little confidence ("low"), then answers a
    resident called 没用 ("useless")."""
    unanswered, matched = list(UNANSWERED), list(MATCHED)
    found = [
        (ts, text, "declined" if outcome in unanswered else "low", entry_id)
        for ts, text, outcome, entry_id in db.execute(
            "select ts, text, outcome, entry_id from messages"
            " where day >= ? and msg_type in ('text', 'voice') and text != ''"
            f" and (outcome in ({_marks(unanswered)})"
            f"      or (outcome in ({_marks(matched)}) and score is not null and score < ?))"
            " order by id desc limit ?",
            [since_day, *unanswered, *matched, low_score, limit],
        )
    ]
    found += [
        (ts, question, "useless", entry_id)
        for ts, question, entry_id in db.execute(
            "select ts, question, entry_id from feedback"
            " where day >= ? and useful = 0 and question != '' order by id desc limit ?",
            [since_day, limit],
        )
    ]
    return found


def unanswered_wordings(db, start_day, end_day, limit):
    """[(text, times)] of the questions not answered in a date range, the most asked
    first; read from the (outcome, day, text) index alone."""
    unanswered = list(UNANSWERED)
    return db.execute(
        f"select text, count(*) as n from messages where outcome in ({_marks(unanswered)})"
        " and day between ? and ? and text is not null and text != ''"
        " group by text order by n desc limit ?",
        [*unanswered, start_day, end_day, limit],
    ).fetchall()


def alarms_by_entry(db, start_day, end_day):
    """[(entry_id or None, alarms)] of scam-in-progress alarms in a date range."""
    return db.execute(
        "select entry_id, count(*) as n from messages where alarm = 1 and day between ? and ?"
        " group by entry_id order by n desc, entry_id",
        [start_day, end_day],
    ).fetchall()


def feedback_totals(db, start_day, end_day):
    """(有用, 没用) in a date range."""
    useful = dict(
        db.execute(
            "select useful, count(*) from feedback where day between ? and ? group by useful",
            [start_day, end_day],
        ).fetchall()
    )
    return useful.get(1, 0), useful.get(0, 0)


def feedback_by_entry(db, start_day, end_day):
    """{entry_id: (有用, 没用)} in a date range."""
    votes = {}
    for entry_id, useful, n in db.execute(
        "select entry_id, useful, count(*) from feedback where day between ? and ?"
        " and entry_id is not null group by entry_id, useful",
        [start_day, end_day],
    ):
        up, down = votes.get(entry_id, (0, 0))
        votes[entry_id] = (up + n, down) if useful else (up, down + n)
    return votes


def purge_text(db, cutoff_day):
    """Clear the words of messages and feedback before a day; every count stays.
    Returns (messages, feedback) cleared; the caller commits."""
    messages = db.execute(
        "update messages set text = null where day < ? and text != ''", [cutoff_day]
    ).rowcount
    feedback = db.execute(
        "update feedback set question = null where day < ? and question != ''", [cutoff_day]
    ).rowcount
    return messages, feedback


def _marks(values):
    return ", ".join("?" * len(values))


def most_answered(db, category, since, limit):
    """The category's most answered entries since a day, for the menu's topic lists."""
    return [
        row["entry_id"]
        for row in db.query(
            "select entry_id, count(*) as n from messages where day >= ? and category = ?"
            " and entry_id is not null group by entry_id order by n desc limit ?",
            [since.isoformat(), category, limit],
        )
    ]


# --- schema: the tables this component owns, as sqlite-utils migrations ----------

migrations = Migrations("usage")


@migrations()
def m003_usage_log(db):
    db["messages"].create(
        {
            "id": int,
            "ts": str,  # ISO-8601 UTC
            "day": str,  # YYYY-MM-DD, local date, for daily reports
            "hour": int,  # local hour of day
            "user_hash": str,  # keyed hash of the openid, never the openid
            "msg_type": str,
            "event": str,
            "text": str,  # masked: no phone, ID-card or bank-card numbers
            "outcome": str,
            "category": str,
            "entry_id": str,
            "score": float,
            "latency_ms": float,
            "msg_key": str,
        },
        pk="id",
    )
    for columns in (["day"], ["outcome", "day"], ["entry_id"], ["user_hash"]):
        db["messages"].create_index(columns)


@migrations()
def m005_feedback(db):
    # 有用 / 没用 replies, against the entry they judge and the question it answered.
    db["feedback"].create(
        {
            "id": int,
            "ts": str,
            "day": str,
            "user_hash": str,
            "entry_id": str,
            "useful": int,  # 1 有用, 0 没用
            "question": str,  # masked
        },
        pk="id",
    )
    db["feedback"].create_index(["entry_id"])
    db["feedback"].create_index(["day"])


@migrations()
def m006_fraud_alarm_flag(db):
    # 1 when the message showed a scam in progress and the reply led with the alarm.
    db["messages"].add_column("alarm", int, not_null_default=0)
    db["messages"].create_index(["alarm", "day"])


@migrations()
def m202_unanswered_index(db):
    # The report's unanswered questions, grouped by text, read from the index alone.
    db["messages"].create_index(["outcome", "day", "text"])


@migrations()
def m204_feedback_by_day_and_entry(db):
    """有用 / 没用 per entry over a date range, read from the index alone (databases made
    before this set existed have it already)."""
    db["feedback"].create_index(["day", "entry_id", "useful"], if_not_exists=True)


@migrations()
def m205_fewer_log_indexes(db):
    """Every index is written on every message. (outcome, day) is the start of
    (outcome, day, text), and nothing looks the log up by entry: both go."""
    db.execute("drop index if exists idx_messages_outcome_day")
    db.execute("drop index if exists idx_messages_entry_id")
