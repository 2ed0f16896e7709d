"""The SQLite file: connection settings and the schema, as sqlite-utils migrations.

One file holds everything workers must share (knowledge, dedup records, conversation
state, the usage log), so several server processes behave as one.
"""

import fcntl
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("silverhelper")


def connect(path):
    """A sqlite-utils Database in WAL mode with a busy timeout, safe across processes."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=10000")
    return db


@contextmanager
def file_lock(db_path):
    """Serialise start-up work (migrations, first import) between worker processes."""
    lock_path = Path(str(db_path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(db):
    migrations.apply(db)


@migrations()
def m001_knowledge(db):
    db["entries"].create(
        {
            "id": str,
            "category": str,
            "question": str,
            "phrasings": str,  # JSON list
            "answer": str,
            "source": str,
            "reviewed": str,
            "status": str,  # active | retired
            "origin_file": str,
            "updated_at": str,
            "updated_by": str,
        },
        pk="id",
    )
    db["entries"].create_index(["category"])
    # One row: bumped on every change so each worker knows to rebuild its index.
    db["kb_meta"].create({"key": str, "value": int}, pk="key")
    db["kb_meta"].insert({"key": "version", "value": 0})


@migrations()
def m002_processed_messages(db):
    # Retry dedup: the first delivery claims the key, stores the reply; retries reuse it.
    db["processed_messages"].create({"key": str, "reply_xml": str, "created_at": float}, pk="key")
    db["processed_messages"].create_index(["created_at"])


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
def m004_conversations(db):
    # Per-user dialogue state (pending choices, next page), shared by every worker.
    db["conversations"].create(
        {"user_hash": str, "state": str, "expires_at": float, "updated_at": float},
        pk="user_hash",
    )


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


# Report summaries, kept by triggers so the reports page never scans the whole log.
_REPORT_KIND = """case when {r}.msg_type = 'event' then case {r}.event
    when 'subscribe' then 'follow' when 'subscribe_scan' then 'follow'
    when 'unsubscribe' then 'unfollow' when 'click' then 'click' else 'event' end
  else 'message' end"""
# table: (key columns with types, value expressions over the row {r}, which rows count)
_REPORT_SUMMARIES = {
    "report_daily": (
        (
            ("day", "text"),
            ("kind", "text"),
            ("outcome", "text"),
            ("category", "text"),
            ("alarm", "integer"),
        ),
        (
            "{r}.day",
            _REPORT_KIND,
            "coalesce({r}.outcome, '')",
            "coalesce({r}.category, '')",
            "coalesce({r}.alarm, 0)",
        ),
        "1",
    ),
    "report_hourly": (
        (("day", "text"), ("hour", "integer")),
        ("{r}.day", "coalesce({r}.hour, 0)"),
        "{r}.msg_type != 'event'",
    ),
    "report_entries": (
        (("day", "text"), ("entry_id", "text"), ("outcome", "text")),
        ("{r}.day", "{r}.entry_id", "coalesce({r}.outcome, '')"),
        "{r}.entry_id is not null",
    ),
    # Active users: sent a message or clicked the menu (a follow alone does not count).
    "report_users": (
        (("day", "text"), ("user_hash", "text")),
        ("{r}.day", "{r}.user_hash"),
        "({r}.msg_type != 'event' or {r}.event = 'click') and {r}.user_hash is not null",
    ),
}


@migrations()
def m201_report_summaries(db):
    """Per-day counts for the reports page: filled from the existing log, then kept
    current by triggers on every insert or delete, so no report waits on a full scan."""
    inserts, deletes = [], []
    for table, (keys, values, condition) in _REPORT_SUMMARIES.items():
        names = ", ".join(name for name, _ in keys)
        columns = ", ".join(f"{name} {kind} not null" for name, kind in keys)
        db.execute(
            f"create table {table} ({columns}, n integer not null, primary key ({names}))"
            " without rowid"
        )
        new = ", ".join(v.format(r="new") for v in values)
        db.execute(
            f"insert into {table} ({names}, n) select {', '.join(v.format(r='m') for v in values)},"
            f" count(*) from messages m where {condition.format(r='m')}"
            f" group by {', '.join(str(i + 1) for i in range(len(keys)))}"
        )
        inserts.append(
            f"insert into {table} ({names}, n) select {new}, 1"
            f" where {condition.format(r='new')} on conflict do update set n = n + 1;"
        )
        match = " and ".join(
            f"{name} = {value.format(r='old')}" for (name, _), value in zip(keys, values)
        )
        deletes.append(
            f"update {table} set n = n - 1 where {condition.format(r='old')} and {match};"
            f" delete from {table} where n <= 0 and {match};"
        )
    for when, statements in (("insert", inserts), ("delete", deletes)):
        db.execute(
            f"create trigger report_on_{when} after {when} on messages begin\n"
            + "\n".join(statements)
            + "\nend"
        )
    # 有用 / 没用 per entry over a date range, read from the index alone.
    db["feedback"].create_index(["day", "entry_id", "useful"])


@migrations()
def m101_staff_users(db):
    # Staff accounts for the web pages: role is viewer, editor or admin; never a
    # plain password, only werkzeug's salted hash.
    db["users"].create(
        {
            "name": str,
            "role": str,
            "password_hash": str,
            "active": int,
            "created_at": str,
            "created_by": str,
            "last_login_at": str,
            "failed_logins": int,
            "locked_until": float,
        },
        pk="name",
        not_null={"role", "password_hash"},
        defaults={"active": 1, "failed_logins": 0, "locked_until": 0.0},
    )


@migrations()
def m102_entry_revisions(db):
    # Every staff change to an entry: who, when, what, and the whole entry after it.
    db["revisions"].create(
        {
            "id": int,
            "entry_id": str,
            "ts": str,  # ISO-8601 UTC
            "user": str,
            "action": str,  # import, create, edit, phrasing, retire, restore, rollback
            "snapshot": str,  # JSON of the entries row after the change
            "note": str,
        },
        pk="id",
    )
    db["revisions"].create_index(["entry_id", "id"])


@migrations()
def m103_review_handled(db):
    # Review-queue questions staff have dealt with (dismissed, added as a phrasing,
    # turned into an entry), by their normalised text; later askings show again.
    db["review_handled"].create(
        {"key": str, "ts": str, "user": str, "action": str, "entry_id": str},
        pk="key",
    )


@migrations()
def m202_unanswered_index(db):
    # The report's unanswered questions, grouped by text, read from the index alone.
    db["messages"].create_index(["outcome", "day", "text"])


@migrations()
def m007_dedup_reply_without_openid(db):
    # Keep only what the reply said (text, transfer): the reply XML names the user's
    # openid, which must not be stored. Retries rebuild the XML from their own message.
    db["processed_messages"].delete_where()
    db["processed_messages"].transform(rename={"reply_xml": "reply"})


@migrations()
def m104_login_attempts(db):
    """Login attempts per address, so a burst from one place is slowed whichever
    worker answers it."""
    db["login_attempts"].create({"address": str, "at": float})
    db["login_attempts"].create_index(["address", "at"])


@migrations()
def m008_seen_requests(db):
    """The nonce of every signed request within the timestamp window: a captured
    signature sent again with another body is refused."""
    db["seen_requests"].create(
        {"nonce": str, "timestamp": str, "digest": str, "seen_at": float}, pk="nonce"
    )
    db["seen_requests"].create_index(["seen_at"])


@migrations()
def m105_session_version(db):
    """A per-user session version: logout, disabling and a new password end every login."""
    db["users"].add_column("session_version", int, not_null_default=0)


@migrations()
def m301_guardians(db):
    """Family guardians (亲情守护): binding codes, requests awaiting the resident's consent,
    bindings, alerts, the outbox of messages to send through WeChat's API, and the
    API's access token shared by every worker. Openids are sealed, never plain."""
    db["guardian_codes"].create(
        {
            "code_hash": str,
            "resident_hash": str,
            "resident_sealed": str,
            "expires_at": float,
            "used": int,
        },
        pk="code_hash",
    )
    db["guardian_requests"].create(
        {
            "resident_hash": str,
            "guardian_hash": str,
            "guardian_sealed": str,
            "resident_sealed": str,
            "guardian_name": str,
            "created_at": float,
        },
        pk=("resident_hash", "guardian_hash"),
    )
    db["guardians"].create(
        {
            "resident_hash": str,
            "guardian_hash": str,
            "resident_sealed": str,
            "guardian_sealed": str,
            "guardian_name": str,
            "since": str,
        },
        pk=("resident_hash", "guardian_hash"),
    )
    db["guardian_alerts"].create({"resident_hash": str, "kind": str, "at": float, "day": str})
    db["guardian_attempts"].create({"guardian_hash": str, "at": float})
    db["outbox"].create(
        {
            "id": int,
            "to_sealed": str,
            "to_hash": str,
            "purpose": str,  # consent | bound | refused | alert | unbound | note
            "text": str,
            "created_at": float,
            "next_at": float,
            "attempts": int,
            "status": str,  # pending | sending | sent | failed
            "channel": str,  # text | template
            "last_error": str,
            "sent_at": float,
        },
        pk="id",
    )
    db["outbox"].create_index(["status", "next_at"])
    db["api_tokens"].create({"key": str, "value": str, "expires_at": float}, pk="key")


@migrations()
def m302_screenshot_checks(db):
    """Forwarded screenshots waiting to be read (the picture's address only, never the
    picture), and each check's verdict with the masked text, for reports and review."""
    db["screenshot_jobs"].create(
        {
            "id": int,
            "user_sealed": str,
            "user_hash": str,
            "pic_url": str,
            "media_id": str,
            "created_at": float,
            "status": str,  # pending | reading | done | failed
            "attempts": int,
        },
        pk="id",
    )
    db["screenshot_checks"].create(
        {"ts": str, "day": str, "user_hash": str, "verdict": str, "kind": str, "text": str}
    )
    db["screenshot_checks"].create_index(["day"])
