"""The report's figures for a date range, read from the usage log and its summaries.

Counts come from the `report_*` tables that triggers keep current on every logged
message (see bot/reports/schema.py), so a range of a year costs a few thousand summary rows,
not a million log rows. Only the unanswered questions and the fraud alarms read the log
itself (through bot.usage), by its (outcome, day) and (alarm, day) indexes. Dates are local
(Asia/Shanghai), the log's `day` column, both ends included.
"""

import datetime
from dataclasses import dataclass, field

from bot import usage
from bot.guardians import store as guardian_store
from bot.kb import entries as knowledge
from bot.kb.entries import CATEGORY_NAMES
from bot.outcomes import MATCHED, NAMES, UNANSWERED, Outcome
from bot.screenshots import store as screenshot_store
from bot.search.grouping import group_questions
from bot.usage import LOCAL_TZ

# A range longer than this is shown by week rather than by day.
WEEKLY_AFTER_DAYS = 62
# How many distinct unanswered wordings are grouped (the most asked first).
UNANSWERED_WORDINGS = 2000
MAX_RANGE_DAYS = 3660


class RangeError(ValueError):
    """A date range a person typed that cannot be used; the message says why."""


def today():
    return datetime.datetime.now(LOCAL_TZ).date()


def last_full_month(on=None):
    first_this_month = (on or today()).replace(day=1)
    last = first_this_month - datetime.timedelta(days=1)
    return last.replace(day=1), last


# Reports cover the service's own years; dates far outside would overflow date arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _in_years(day, what):
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise RangeError(f"{what}要在 {FIRST_YEAR} 年到 {LAST_YEAR} 年之间")
    return day


def month_range(text):
    """(first day, last day) of a month written YYYY-MM."""
    try:
        first = datetime.date.fromisoformat(text.strip() + "-01")
    except (ValueError, AttributeError):
        raise RangeError(f"月份“{text[:20]}”看不懂，请写成 2025-10 这样") from None
    _in_years(first, "月份")
    following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def parse_range(start_text, end_text):
    """The (start, end) dates of a request; both empty means last full month."""
    if not (start_text or "").strip() and not (end_text or "").strip():
        return last_full_month()
    start, end = _parse_day(start_text, "开始"), _parse_day(end_text, "结束")
    if start > end:
        raise RangeError("开始日期晚于结束日期，请重新选择")
    if (end - start).days > MAX_RANGE_DAYS:
        raise RangeError("日期范围太长，请选择十年以内")
    return start, end


def _parse_day(text, which):
    text = (text or "").strip()
    if not text:
        raise RangeError(f"请填写{which}日期")
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise RangeError(f"{which}日期“{text[:20]}”看不懂，请写成 2025-10-01 这样") from None
    return _in_years(day, f"{which}日期")


def _days(start, end):
    return [start.isoformat(), end.isoformat()]


# -- the figures ----------------------------------------------------------------------


def overview(db, start, end):
    """Headline counts: messages, users, follows, outcomes, alarms, feedback."""
    counts = dict.fromkeys(
        ("messages", "clicks", "follows", "unfollows", "answered", "choice", "unanswered"), 0
    )
    counts["alarms"] = 0
    for kind, outcome, alarm, n in db.execute(
        "select kind, outcome, alarm, sum(n) from report_daily where day between ? and ?"
        " group by kind, outcome, alarm",
        _days(start, end),
    ):
        if kind == "message":
            counts["messages"] += n
            if outcome in MATCHED:
                counts[outcome] += n
            elif outcome in UNANSWERED:
                counts["unanswered"] += n
        elif kind == "click":
            counts["clicks"] += n
        elif kind == "follow":
            counts["follows"] += n
        elif kind == "unfollow":
            counts["unfollows"] += n
        if alarm:
            counts["alarms"] += n
    (counts["users"],) = db.execute(
        "select count(distinct user_hash) from report_users where day between ? and ?",
        _days(start, end),
    ).fetchone()
    counts["useful"], counts["not_useful"] = usage.feedback_totals(db, *_days(start, end))
    family = guardian_store.counts(db, *_days(start, end))
    counts["guardian_bindings"] = family["bindings"]
    counts["guardian_alerts"] = family["alerts"]
    counts["guardian_failed"] = family["failed"]
    checks = screenshot_store.verdict_counts(db, *_days(start, end))
    counts["screenshots"] = sum(checks.values())
    counts["screenshot_scams"] = checks.get("scam", 0)
    return counts


def by_category(db, start, end):
    """Per category: questions answered and topic menus opened."""
    figures = {name: {"answered": 0, "choice": 0, "topic": 0} for name in CATEGORY_NAMES}
    for category, outcome, n in db.execute(
        "select category, outcome, sum(n) from report_daily where day between ? and ?"
        " and category != '' and outcome in (?, ?, ?) group by category, outcome",
        [*_days(start, end), Outcome.ANSWERED, Outcome.CHOICE, Outcome.TOPIC],
    ):
        figures.setdefault(category, {"answered": 0, "choice": 0, "topic": 0})[outcome] = n
    return [{"category": c, "name": CATEGORY_NAMES.get(c, c), **f} for c, f in figures.items()]


def top_entries(db, start, end, limit=20):
    """The entries answered most often, with their 有用 / 没用 counts."""
    rows = db.execute(
        "select entry_id, sum(n) as n from report_entries"
        " where day between ? and ? and outcome = ?"
        " group by entry_id order by n desc, entry_id limit ?",
        [*_days(start, end), Outcome.ANSWERED, limit],
    ).fetchall()
    votes = usage.feedback_by_entry(db, *_days(start, end))
    titles = _titles(db, [entry_id for entry_id, _ in rows])
    return [
        {
            "entry_id": entry_id,
            "title": titles.get(entry_id, (entry_id, ""))[0],
            "category": titles.get(entry_id, ("", ""))[1],
            "answered": n,
            "useful": votes.get(entry_id, (0, 0))[0],
            "not_useful": votes.get(entry_id, (0, 0))[1],
        }
        for entry_id, n in rows
    ]


def feedback_by_entry(db, start, end):
    """有用 / 没用 for every entry that got any, the most judged first."""
    votes = usage.feedback_by_entry(db, *_days(start, end))
    titles = _titles(db, votes)
    rows = [
        {
            "entry_id": entry_id,
            "title": titles.get(entry_id, (entry_id, ""))[0],
            "category": titles.get(entry_id, ("", ""))[1],
            "useful": up,
            "not_useful": down,
            "useful_share": up / (up + down) if up + down else None,
        }
        for entry_id, (up, down) in votes.items()
    ]
    rows.sort(key=lambda r: (-(r["useful"] + r["not_useful"]), -r["not_useful"], r["entry_id"]))
    return rows


def _titles(db, entry_ids):
    """{id: (title, category's Chinese name)}."""
    return {
        entry_id: (question, CATEGORY_NAMES.get(category, category or ""))
        for entry_id, (question, category) in knowledge.titles(db, entry_ids).items()
    }


def unanswered(db, start, end, analyzer, limit=30, threshold=None):
    """The most frequent questions the bot declined, similar wordings grouped."""
    wordings = usage.unanswered_wordings(db, *_days(start, end), UNANSWERED_WORDINGS)
    kwargs = {} if threshold is None else {"threshold": threshold}
    groups = group_questions(wordings, analyzer, **kwargs)
    return [
        {
            "question": g.text,
            "count": g.count,
            "wordings": len(g.members),
            "examples": "；".join(t for t, _ in g.members[1:4]),
        }
        for g in groups[:limit]
    ]


def alarms(db, start, end):
    """Scam-in-progress alarms by the entry that answered them, and the whole count."""
    rows = usage.alarms_by_entry(db, *_days(start, end))
    titles = _titles(db, [entry_id for entry_id, _ in rows if entry_id])
    return [
        {
            "entry_id": entry_id or "",
            "title": titles.get(entry_id, (entry_id or "（未对应条目）", ""))[0],
            "count": n,
        }
        for entry_id, n in rows
    ]


def trend(db, start, end):
    """Messages, users, answered and declined per day, or per week for long ranges.

    A week is named by its Monday; its users are counted once however many days they
    came. Each week is one range query on the users summary's primary key, cheaper than
    a date expression on every row.
    """
    weekly = (end - start).days + 1 > WEEKLY_AFTER_DAYS
    labels = _period_labels(start, end, weekly)
    figures = {label: _empty_period(label) for label in labels}

    def period(day):
        if not weekly:
            return day
        monday = datetime.date.fromisoformat(day)
        return (monday - datetime.timedelta(days=monday.weekday())).isoformat()

    for day, outcome, n in db.execute(
        "select day, outcome, sum(n) from report_daily where day between ? and ?"
        " and kind = 'message' group by day, outcome",
        _days(start, end),
    ):
        row = figures[period(day)]
        row["messages"] += n
        if outcome == Outcome.ANSWERED:
            row["answered"] += n
        elif outcome in UNANSWERED:
            row["unanswered"] += n
    if weekly:
        for label in labels:
            monday = datetime.date.fromisoformat(label)
            first, last = max(monday, start), min(monday + datetime.timedelta(days=6), end)
            (figures[label]["users"],) = db.execute(
                "select count(distinct user_hash) from report_users where day between ? and ?",
                _days(first, last),
            ).fetchone()
    else:
        for day, n in db.execute(
            "select day, count(*) from report_users where day between ? and ? group by day",
            _days(start, end),
        ):
            figures[day]["users"] = n
    return weekly, [figures[label] for label in labels]


def _empty_period(label):
    return {"period": label, "messages": 0, "users": 0, "answered": 0, "unanswered": 0}


def _period_labels(start, end, weekly):
    """Every day (or every week's Monday) of the range, with or without messages."""
    first = start - datetime.timedelta(days=start.weekday()) if weekly else start
    step = datetime.timedelta(days=7 if weekly else 1)
    labels, day = [], first
    while day <= end:
        labels.append(day.isoformat())
        day += step
    return labels


def hourly(db, start, end):
    """Messages by local hour of day, all 24 hours."""
    counts = dict(
        db.execute(
            "select hour, sum(n) from report_hourly where day between ? and ? group by hour",
            _days(start, end),
        ).fetchall()
    )
    return [{"hour": h, "messages": counts.get(h, 0)} for h in range(24)]


# -- the whole report, as tables ------------------------------------------------------


@dataclass
class Table:
    """One table of the report, as shown on the page and exported."""

    key: str  # file name and sheet id
    title: str
    headers: list
    rows: list  # lists of values, in the order of headers
    percent_columns: tuple = ()  # columns holding a 0–1 share


@dataclass
class Report:
    start: datetime.date
    end: datetime.date
    overview: dict
    weekly: bool
    trend: list
    hourly: list
    categories: list
    entries: list
    feedback: list
    unanswered: list
    alarms: list
    tables: list = field(default_factory=list)

    def table(self, key):
        return next((t for t in self.tables if t.key == key), None)


OVERVIEW_LABELS = (
    ("messages", "消息数"),
    ("users", "使用人数"),
    ("follows", "新关注"),
    ("unfollows", "取消关注"),
    ("clicks", "菜单点击"),
    ("answered", NAMES[Outcome.ANSWERED]),
    ("choice", NAMES[Outcome.CHOICE]),
    ("unanswered", "未能回答"),
    ("alarms", "防诈骗警报"),
    ("useful", "有用"),
    ("not_useful", "没用"),
    ("guardian_bindings", "亲情守护绑定"),
    ("guardian_alerts", "提醒家人"),
    ("guardian_failed", "提醒发送失败"),
    ("screenshots", "截图检查"),
    ("screenshot_scams", "截图判为诈骗"),
)


def build(db, start, end, analyzer):
    """Every figure of the report for the range, plus the same figures as tables."""
    weekly, trend_rows = trend(db, start, end)
    report = Report(
        start=start,
        end=end,
        overview=overview(db, start, end),
        weekly=weekly,
        trend=trend_rows,
        hourly=hourly(db, start, end),
        categories=by_category(db, start, end),
        entries=top_entries(db, start, end),
        feedback=feedback_by_entry(db, start, end),
        unanswered=unanswered(db, start, end, analyzer),
        alarms=alarms(db, start, end),
    )
    report.tables = _tables(report)
    return report


def _tables(r):
    period = "周（周一）" if r.weekly else "日期"
    return [
        Table(
            "overview",
            "总体情况",
            ["指标", "数值"],
            [[label, r.overview[key]] for key, label in OVERVIEW_LABELS],
        ),
        Table(
            "trend",
            "每周趋势" if r.weekly else "每日趋势",
            [period, "消息数", "使用人数", "直接回答", "未能回答"],
            [
                [p["period"], p["messages"], p["users"], p["answered"], p["unanswered"]]
                for p in r.trend
            ],
        ),
        Table(
            "hours",
            "一天中各时段的消息",
            ["时段", "消息数"],
            [[f"{h['hour']:02d}:00–{h['hour']:02d}:59", h["messages"]] for h in r.hourly],
        ),
        Table(
            "categories",
            "各类别",
            ["类别", "直接回答", "给出选项", "打开话题菜单"],
            [[c["name"], c["answered"], c["choice"], c["topic"]] for c in r.categories],
        ),
        Table(
            "entries",
            "回答最多的条目",
            ["条目", "类别", "回答次数", "有用", "没用", "编号"],
            [
                [
                    e["title"],
                    e["category"],
                    e["answered"],
                    e["useful"],
                    e["not_useful"],
                    e["entry_id"],
                ]
                for e in r.entries
            ],
        ),
        Table(
            "feedback",
            "有用 / 没用",
            ["条目", "类别", "有用", "没用", "有用占比", "编号"],
            [
                [
                    f["title"],
                    f["category"],
                    f["useful"],
                    f["not_useful"],
                    f["useful_share"],
                    f["entry_id"],
                ]
                for f in r.feedback
            ],
            percent_columns=(4,),
        ),
        Table(
            "unanswered",
            "问得最多的未回答问题",
            ["问题", "次数", "不同问法", "其他问法举例"],
            [[u["question"], u["count"], u["wordings"], u["examples"]] for u in r.unanswered],
        ),
        Table(
            "alarms",
            "防诈骗警报",
            ["对应条目", "次数", "编号"],
            [[a["title"], a["count"], a["entry_id"]] for a in r.alarms],
        ),
    ]
