"""Retry deduplication shared by every worker through the SQLite file.

WeChat delivers a message again (up to three times) when no answer came within 5 s.
The first delivery claims the message key; later ones get the stored reply, so each
message is handled and logged once, whichever worker a retry lands on.
"""

import hashlib
import json
import random
import time

KEEP_SECONDS = 24 * 3600
PENDING = None


class Replayed(Exception):
    """A signature already used for another message."""


def claim(db, key):
    """True if this delivery is the first and must be handled. Written in the caller's
    transaction (with the signature's nonce), or on its own when there is none."""
    now = time.time()
    taken = db.execute(
        "insert into processed_messages (key, reply, created_at) values (?, ?, ?)"
        " on conflict(key) do nothing",
        [key, PENDING, now],
    ).rowcount
    if taken and random.random() < 0.01:  # now and then, forget keys never resent
        db.execute("delete from processed_messages where created_at < ?", [now - KEEP_SECONDS])
    return bool(taken)


def store_reply(db, key, text, transfer=False):
    """Record what the reply said, for retries; the caller commits (with the usage row).

    Not the reply XML: it names the user's openid, which is never stored.
    """
    payload = json.dumps({"text": text or "", "transfer": bool(transfer)}, ensure_ascii=False)
    db.execute("update processed_messages set reply = ? where key = ?", [payload, key])


def wait_for_reply(db, key, timeout, poll=0.05):
    """(text, transfer) the first delivery stored; None if it is still being made."""
    deadline = time.monotonic() + timeout
    while True:
        row = db.execute("select reply from processed_messages where key = ?", [key]).fetchone()
        if row is not None and row[0] is not None:
            payload = json.loads(row[0])
            return payload["text"], payload["transfer"]
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll)


def first_use_of_signature(db, nonce, timestamp, body, keep_seconds):
    """False when this nonce was already used with a different body: a signed query
    string captured and replayed with another message. The identical request again (a
    retry) is allowed; retries are then answered once by `claim`."""
    digest = hashlib.sha256(body).hexdigest()
    now = time.time()
    new = db.execute(
        "insert into seen_requests (nonce, timestamp, digest, seen_at) values (?, ?, ?, ?)"
        " on conflict(nonce) do nothing",
        [nonce, timestamp, digest, now],
    ).rowcount
    if not new:
        row = db.execute(
            "select timestamp, digest from seen_requests where nonce = ?", [nonce]
        ).fetchone()
        return row is None or (row[0] == timestamp and row[1] == digest)
    if random.random() < 0.01:
        db.execute("delete from seen_requests where seen_at < ?", [now - keep_seconds])
    return True
