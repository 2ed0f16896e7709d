"""Per-user dialogue state in SQLite, so every worker sees the same conversation.

One small JSON document per user: pending choices, the rest of a long answer, and the
last answer (for 有用 / 没用). Each part carries its own expiry time.
"""

import json
import random
import time

from sqlite_utils import Migrations


def load(db, user_hash, now=None):
    """The user's live state parts (expired parts dropped)."""
    now = now or time.time()
    row = db.execute(
        "select state from conversations where user_hash = ? and expires_at > ?",
        [user_hash, now],
    ).fetchone()
    if row is None:
        return {}
    state = json.loads(row[0])
    return {k: v for k, v in state.items() if v.get("until", 0) > now}


def save(db, user_hash, state, now=None):
    now = now or time.time()
    if random.random() < 0.01:  # now and then, drop the states that have run out
        purge_expired(db, now)
    live = {k: v for k, v in state.items() if v and v.get("until", 0) > now}
    if not live:
        db.execute("delete from conversations where user_hash = ?", [user_hash])
        return
    db.execute(
        "insert into conversations (user_hash, state, expires_at, updated_at) values (?, ?, ?, ?)"
        " on conflict(user_hash) do update set state = excluded.state,"
        " expires_at = excluded.expires_at, updated_at = excluded.updated_at",
        [
            user_hash,
            json.dumps(live, ensure_ascii=False),
            max(v["until"] for v in live.values()),
            now,
        ],
    )


def part(value, seconds, now=None):
    """A state part that lives for `seconds`."""
    return dict(value, until=(now or time.time()) + seconds)


def purge_expired(db, now=None):
    """Delete states whose every part has expired; they still hold question text."""
    return db.execute(
        "delete from conversations where expires_at <= ?", [now or time.time()]
    ).rowcount


def purge_before(db, cutoff):
    """Delete states last written before `cutoff` (seconds), for the text retention."""
    return db.execute("delete from conversations where updated_at < ?", [cutoff]).rowcount


# --- schema: the tables this component owns, as sqlite-utils migrations ----------

migrations = Migrations("chat")


@migrations()
def m004_conversations(db):
    # Per-user dialogue state (pending choices, next page), shared by every worker.
    db["conversations"].create(
        {"user_hash": str, "state": str, "expires_at": float, "updated_at": float},
        pk="user_hash",
    )
