"""Guardian bindings in the shared SQLite file: codes, consent requests, bindings, alerts.

Every person is a keyed hash; an openid kept to message someone later is sealed
(bot/privacy.py). The caller commits.
"""

import datetime
import hashlib
import hmac
import secrets
import time

from sqlite_utils import Migrations

CODE_SECONDS = 24 * 3600
MAX_GUARDIANS = 3
ALERT_SECONDS = 10 * 60
TRIES_PER_HOUR = 5


def _code_hash(code, key):
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()


def new_code(db, resident_hash, resident_sealed, key, now=None):
    """A fresh six-digit code for the resident (earlier unused ones are dropped)."""
    now = now or time.time()
    db.execute(
        "delete from guardian_codes where resident_hash = ? or expires_at < ?", [resident_hash, now]
    )
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        digest = _code_hash(code, key)
        if not db.execute("select 1 from guardian_codes where code_hash = ?", [digest]).fetchone():
            break
    db.execute(
        "insert into guardian_codes (code_hash, resident_hash, resident_sealed, expires_at, used)"
        " values (?, ?, ?, ?, 0)",
        [digest, resident_hash, resident_sealed, now + CODE_SECONDS],
    )
    return code


def may_try(db, guardian_hash, now=None):
    """Record a code attempt; False after TRIES_PER_HOUR in the last hour."""
    now = now or time.time()
    db.execute("delete from guardian_attempts where at < ?", [now - 3600])
    tried = db.execute(
        "select count(*) from guardian_attempts where guardian_hash = ?", [guardian_hash]
    ).fetchone()[0]
    db.execute(
        "insert into guardian_attempts (guardian_hash, at) values (?, ?)", [guardian_hash, now]
    )
    return tried < TRIES_PER_HOUR


def use_code(db, code, key, now=None):
    """(resident_hash, resident_sealed) for a valid unused code, marking it used; else None."""
    now = now or time.time()
    digest = _code_hash(code, key)
    taken = db.execute(
        "update guardian_codes set used = 1 where code_hash = ? and used = 0 and expires_at > ?",
        [digest, now],
    ).rowcount
    if not taken:
        return None
    row = db.execute(
        "select resident_hash, resident_sealed from guardian_codes where code_hash = ?", [digest]
    ).fetchone()
    return row[0], row[1]


def ask(db, resident_hash, resident_sealed, guardian_hash, guardian_sealed, name, now=None):
    db.execute(
        "insert or replace into guardian_requests (resident_hash, guardian_hash, guardian_sealed,"
        " resident_sealed, guardian_name, created_at) values (?, ?, ?, ?, ?, ?)",
        [resident_hash, guardian_hash, guardian_sealed, resident_sealed, name, now or time.time()],
    )


def pending_request(db, resident_hash, now=None):
    """The latest request awaiting this resident's answer (within a day), or None."""
    now = now or time.time()
    rows = list(
        db.query(
            "select * from guardian_requests where resident_hash = ? and created_at > ?"
            " order by created_at desc limit 1",
            [resident_hash, now - CODE_SECONDS],
        )
    )
    return rows[0] if rows else None


def drop_request(db, resident_hash, guardian_hash):
    db.execute(
        "delete from guardian_requests where resident_hash = ? and guardian_hash = ?",
        [resident_hash, guardian_hash],
    )


def guardians_of(db, resident_hash):
    return list(
        db.query("select * from guardians where resident_hash = ? order by since", [resident_hash])
    )


def guarded_by(db, guardian_hash):
    return list(
        db.query("select * from guardians where guardian_hash = ? order by since", [guardian_hash])
    )


def bind(db, request, now=None):
    when = datetime.datetime.fromtimestamp(now or time.time()).date().isoformat()
    db.execute(
        "insert or replace into guardians (resident_hash, guardian_hash, resident_sealed,"
        " guardian_sealed, guardian_name, since) values (?, ?, ?, ?, ?, ?)",
        [
            request["resident_hash"],
            request["guardian_hash"],
            request["resident_sealed"],
            request["guardian_sealed"],
            request["guardian_name"],
            when,
        ],
    )
    drop_request(db, request["resident_hash"], request["guardian_hash"])


def unbind_resident(db, resident_hash):
    rows = guardians_of(db, resident_hash)
    db.execute("delete from guardians where resident_hash = ?", [resident_hash])
    return rows


def unbind_guardian(db, guardian_hash):
    rows = guarded_by(db, guardian_hash)
    db.execute("delete from guardians where guardian_hash = ?", [guardian_hash])
    return rows


def may_alert(db, resident_hash, kind, now=None):
    """Record an alert unless one went out for this resident in the last 10 minutes."""
    now = now or time.time()
    recent = db.execute(
        "select 1 from guardian_alerts where resident_hash = ? and at > ?",
        [resident_hash, now - ALERT_SECONDS],
    ).fetchone()
    if recent:
        return False
    day = datetime.datetime.fromtimestamp(now).date().isoformat()
    db.execute(
        "insert into guardian_alerts (resident_hash, kind, at, day) values (?, ?, ?, ?)",
        [resident_hash, kind, now, day],
    )
    return True


def last_alerts(db, resident_hash, limit=3):
    return list(
        db.query(
            "select kind, at from guardian_alerts where resident_hash = ? order by at desc limit ?",
            [resident_hash, limit],
        )
    )


def counts(db, start_day, end_day):
    """Bindings now, alerts and sent / failed messages in a date range: counts only."""
    bindings = db.execute("select count(*) from guardians").fetchone()[0]
    alerts = db.execute(
        "select count(*) from guardian_alerts where day between ? and ?", [start_day, end_day]
    ).fetchone()[0]
    start = datetime.datetime.fromisoformat(start_day).timestamp()
    end = (datetime.datetime.fromisoformat(end_day) + datetime.timedelta(days=1)).timestamp()
    sent, failed = db.execute(
        "select sum(status = 'sent'), sum(status = 'failed') from outbox"
        " where purpose = 'alert' and created_at >= ? and created_at < ?",
        [start, end],
    ).fetchone()
    return {"bindings": bindings, "alerts": alerts, "sent": sent or 0, "failed": failed or 0}


# --- schema: the tables this component owns, as sqlite-utils migrations ----------

migrations = Migrations("guardians")


@migrations()
def m301_guardians(db):
    """Family guardians (亲情守护): binding codes, requests awaiting the resident's consent,
    bindings, alerts and the outbox of messages to send through WeChat's API.
    Openids are sealed, never plain."""
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
