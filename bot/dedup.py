"""Retry deduplication shared by every worker through the SQLite file.

WeChat delivers a message again (up to three times) when no answer came within 5 s.
The first delivery claims the message key; later ones get the stored reply, so each
message is handled and logged once, whichever worker a retry lands on.
"""

import random
import sqlite3
import time

KEEP_SECONDS = 24 * 3600
PENDING = None


def claim(db, key):
    """True if this delivery is the first and must be handled."""
    now = time.time()
    try:
        db.execute(
            "insert into processed_messages (key, reply_xml, created_at) values (?, ?, ?)",
            [key, PENDING, now],
        )
        db.conn.commit()
    except sqlite3.IntegrityError:
        db.conn.rollback()
        return False
    if random.random() < 0.01:  # now and then, forget keys WeChat will never resend
        db.execute("delete from processed_messages where created_at < ?", [now - KEEP_SECONDS])
        db.conn.commit()
    return True


def store_reply(db, key, reply_xml):
    """Record the reply for retries; the caller commits (with the usage row)."""
    db.execute("update processed_messages set reply_xml = ? where key = ?", [reply_xml or "", key])


def wait_for_reply(db, key, timeout, poll=0.05):
    """The reply the first delivery stored; None if it is still being made."""
    deadline = time.monotonic() + timeout
    while True:
        row = db.execute("select reply_xml from processed_messages where key = ?", [key]).fetchone()
        if row is not None and row[0] is not None:
            return row[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll)
