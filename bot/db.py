"""The SQLite file: connection settings and the start-up lock. Each component keeps its
own tables as a sqlite-utils migration set; bot.schema applies them in order.

One file holds everything workers must share (knowledge, dedup records, conversation
state, the usage log), so several server processes behave as one.
"""

import fcntl
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils


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
def write_transaction(db):
    """One transaction for several writes, committed together or not at all.

    BEGIN IMMEDIATE takes the write lock at the start (waiting up to the busy timeout),
    so a transaction that reads before it writes never fails because another worker
    committed in between (WAL's snapshot conflict). Inside it, sqlite-utils' execute()
    does not commit each statement on its own.
    """
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise
    try:
        db.conn.commit()
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise


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
