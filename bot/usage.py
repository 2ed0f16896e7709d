"""The usage log: one row per handled message, pseudonymous and masked.

Coordinators' reports read this table; a failure to write it never stops a reply.
"""

import datetime

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
