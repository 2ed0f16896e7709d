"""Staff accounts and their storage: roles, password rules, lockout and login attempts.
No Flask here: the web pages (bot.auth) and the `users` commands (bot.auth.cli) use it."""

import datetime
import functools
import time

from sqlite_utils import Migrations
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("viewer", "editor", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
ROLE_NAMES = {"viewer": "查看报表", "editor": "编辑", "admin": "管理员"}
MIN_PASSWORD = 8
# After this many wrong passwords in a row the account waits LOCK_SECONDS.
MAX_FAILED = 5
LOCK_SECONDS = 300
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


# Compared against when the name is unknown, so a wrong name takes as long as a wrong
# password and timing does not tell which names exist.
@functools.cache
def _dummy_hash():
    return generate_password_hash("not-a-real-password")  # made once, when first needed


class AccountError(ValueError):
    """A refused account change; the message is shown to staff as it is."""


# --- storage -------------------------------------------------------------------------


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _clean_name(name):
    name = (name or "").strip().lower()
    if not name or len(name) > 32 or not set(name) <= NAME_CHARS:
        raise AccountError("用户名只能用小写英文字母、数字、点、短横线和下划线，最多 32 个字符。")
    return name


# zxcvbn's score (0-4) from which a password is hard enough to guess.
MIN_STRENGTH = 3


def _check_password(password, name=""):
    """Long enough, without the user name, and not common or guessable (zxcvbn, which
    knows the common passwords, keyboard runs, dates and names)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少要 {MIN_PASSWORD} 个字符。")
    if name and name.lower() in password.lower():
        raise AccountError("密码里不能有用户名。")
    from zxcvbn import zxcvbn  # its word lists (13 MB) load when a password is set

    if zxcvbn(password, user_inputs=[name] if name else [])["score"] < MIN_STRENGTH:
        raise AccountError(
            "这个密码太常见、太好猜。请换一个长一点、不常见的，比如几个词连起来再加数字。"
        )


def get_user(db, name):
    rows = list(db.query("select * from users where name = ?", [name]))
    return rows[0] if rows else None


def list_users(db):
    return list(db.query("select * from users order by name"))


def create_user(db, name, role, password, by="command"):
    """Add an account; the caller commits."""
    name = _clean_name(name)
    if role not in RANK:
        raise AccountError("角色只能是 viewer、editor 或 admin。")
    _check_password(password, name)
    if get_user(db, name):
        raise AccountError(f"用户名 {name} 已经有了。")
    db["users"].insert(
        {
            "name": name,
            "role": role,
            "password_hash": generate_password_hash(password),
            "active": 1,
            "created_at": _now(),
            "created_by": by,
            "failed_logins": 0,
            "locked_until": 0.0,
        }
    )
    return name


def set_password(db, name, password):
    _check_password(password, name)
    if not get_user(db, name):
        raise AccountError(f"没有用户 {name}。")
    db["users"].update(
        name, {"password_hash": generate_password_hash(password), "failed_logins": 0}
    )
    end_sessions(db, name)


def set_role(db, name, role):
    if role not in RANK:
        raise AccountError("角色只能是 viewer、editor 或 admin。")
    db["users"].update(name, {"role": role})


def set_active(db, name, active):
    db["users"].update(name, {"active": int(bool(active))})
    if not active:
        end_sessions(db, name)


def end_sessions(db, name):
    """Every login cookie of this user stops working (logout, disable, new password):
    the session carries the version it was made under, checked on every request."""
    db.execute(
        "update users set session_version = coalesce(session_version, 0) + 1 where name = ?",
        [name],
    )


def unlock(db, name):
    """Clear an account's wrong-password count and wait."""
    db["users"].update(name, {"failed_logins": 0, "locked_until": 0.0})


def active_admins(db):
    return db.execute("select count(*) from users where role = 'admin' and active = 1").fetchone()[
        0
    ]


# One answer for every refusal: an unknown name, a wrong password and a lock look alike.
REFUSED = "用户名或密码不对。连续输错 5 次要等 5 分钟再试。"
# Attempts from one address within LOCK_SECONDS before it must wait too.
MAX_PER_ADDRESS = 20


def authenticate(db, name, password, address=""):
    """(user, None) on success, else (None, REFUSED).

    Each attempt first takes one of the account's MAX_FAILED tries in a single UPDATE,
    so parallel attempts (several workers, many threads) can never check more passwords
    than that before the account waits LOCK_SECONDS; one address is limited likewise.
    """
    now = time.time()
    try:
        name = _clean_name(name)
    except AccountError:
        name = ""
    if not _address_may_try(db, address, now):
        check_password_hash(_dummy_hash(), password or "")
        return None, REFUSED
    taken = db.execute(
        "update users set failed_logins = failed_logins + 1 where name = ? and active = 1"
        " and coalesce(locked_until, 0) <= ? and coalesce(failed_logins, 0) < ?",
        [name, now, MAX_FAILED],
    ).rowcount
    db.conn.commit()
    user = get_user(db, name) if taken else None
    if user is None:
        check_password_hash(_dummy_hash(), password or "")  # the same time as a real check
        return None, REFUSED
    if not check_password_hash(user["password_hash"], password or ""):
        db.execute(
            "update users set failed_logins = 0, locked_until = ? where name = ?"
            " and failed_logins >= ?",
            [now + LOCK_SECONDS, name, MAX_FAILED],
        )
        db.conn.commit()
        return None, REFUSED
    db["users"].update(name, {"failed_logins": 0, "locked_until": 0.0, "last_login_at": _now()})
    db.conn.commit()
    return get_user(db, name), None


def _address_may_try(db, address, now):
    """Record this attempt; False when the address tried too often lately."""
    db.execute("delete from login_attempts where at < ?", [now - LOCK_SECONDS])
    recent = db.execute(
        "select count(*) from login_attempts where address = ? and at >= ?",
        [address, now - LOCK_SECONDS],
    ).fetchone()[0]
    db.execute("insert into login_attempts (address, at) values (?, ?)", [address, now])
    db.conn.commit()
    return recent < MAX_PER_ADDRESS


# --- schema: the tables this component owns, as sqlite-utils migrations ----------

migrations = Migrations("auth")


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
def m104_login_attempts(db):
    """Login attempts per address, so a burst from one place is slowed whichever
    worker answers it."""
    db["login_attempts"].create({"address": str, "at": float})
    db["login_attempts"].create_index(["address", "at"])


@migrations()
def m105_session_version(db):
    """A per-user session version: logout, disabling and a new password end every login."""
    db["users"].add_column("session_version", int, not_null_default=0)
