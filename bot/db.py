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
