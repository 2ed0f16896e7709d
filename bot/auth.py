"""Staff accounts: password login, roles, session expiry and CSRF for every form.

Roles rank viewer < editor < admin: viewers read reports, editors curate the knowledge
base, admins also manage accounts. There is no default account or password: the first
admin is made with `flask --app server users create-admin NAME`.
"""

import datetime
import hashlib
import hmac
import time
from functools import wraps
from urllib.parse import urlsplit

import click
from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import AppGroup
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from bot import db as database
from bot import services as services_module
from bot.wechat import webhook

ROLES = ("viewer", "editor", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
ROLE_NAMES = {"viewer": "查看报表", "editor": "编辑", "admin": "管理员"}
MIN_PASSWORD = 8
# After this many wrong passwords in a row the account waits LOCK_SECONDS.
MAX_FAILED = 5
LOCK_SECONDS = 300
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
users_cli = AppGroup("users", help="Staff accounts for the web pages.")
# Compared against when the name is unknown, so a wrong name takes as long as a wrong
# password and timing does not tell which names exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


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
        check_password_hash(_DUMMY_HASH, password or "")
        return None, REFUSED
    taken = db.execute(
        "update users set failed_logins = failed_logins + 1 where name = ? and active = 1"
        " and coalesce(locked_until, 0) <= ? and coalesce(failed_logins, 0) < ?",
        [name, now, MAX_FAILED],
    ).rowcount
    db.conn.commit()
    user = get_user(db, name) if taken else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")  # the same time as a real check
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


# --- the logged-in user --------------------------------------------------------------


def _services():
    return services_module.current()


def _db():
    return _services().db()


def _fingerprint(password_hash):
    """Ties a login to the password it used: a changed password ends old logins."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:20]


def current_user():
    """The logged-in, still active user (a row dict), or None."""
    if "staff_user" not in g:
        g.staff_user = None
        name = session.get("user")
        if name:
            user = get_user(_db(), name)
            if (
                user
                and user["active"]
                and session.get("v") == (user["session_version"] or 0)
                and hmac.compare_digest(
                    session.get("auth", ""), _fingerprint(user["password_hash"])
                )
            ):
                g.staff_user = user
            else:
                session.clear()
    return g.staff_user


def has_role(user, role):
    return user is not None and RANK.get(user["role"], -1) >= RANK[role]


def forbidden():
    return render_template("forbidden.html"), 403


def login_redirect():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def role_required(role):
    """Anonymous users go to the login page; a lower role gets a 403 page."""
    if role not in RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return login_redirect()
            if not has_role(user, role):
                return forbidden()
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _safe_next(target):
    """Only a path on this site: never send someone elsewhere after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def home_for(user):
    if has_role(user, "editor"):
        return url_for("staff.entries")
    return "/reports/"


# --- views ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    name = ""
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        user, error = authenticate(_db(), name, password, request.remote_addr or "")
        if user:
            session.clear()
            session.permanent = True
            session["user"] = user["name"]
            session["auth"] = _fingerprint(user["password_hash"])
            session["v"] = user["session_version"] or 0
            return redirect(next_url or home_for(user))
    status = 200 if error is None else 401
    return render_template("login.html", error=error, name=name, next=next_url or ""), status


@bp.post("/logout")
def logout():
    user = current_user()
    if user is not None:
        end_sessions(_db(), user["name"])
        _db().conn.commit()
    session.clear()
    return redirect(url_for("auth.login", out=1))


# --- command line --------------------------------------------------------------------


def _cli_db():
    return database.connect(current_app.config["BOT_DATABASE"])


def _prompt_password():
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _cli_fail(error):
    click.echo(str(error), err=True)
    raise SystemExit(1)


@users_cli.command("create-admin")
@click.argument("name")
def create_admin_command(name):
    """Create an admin account; asks for the password (there is no default)."""
    _add(name, "admin")


@users_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["editor", "viewer", "admin"]), default="editor")
def add_command(name, role):
    """Create an editor or viewer account; asks for the password."""
    _add(name, role)


def _add(name, role):
    db = _cli_db()
    database.migrate(db)
    try:
        name = create_user(db, name, role, _prompt_password())
    except AccountError as error:
        _cli_fail(error)
    db.conn.commit()
    click.echo(f"created {role} {name}")


@users_cli.command("set-password")
@click.argument("name")
def set_password_command(name):
    """Give an account a new password (ends its logins) and unlock it."""
    db = _cli_db()
    database.migrate(db)
    try:
        set_password(db, name, _prompt_password())
        db["users"].update(name, {"active": 1, "locked_until": 0.0})
    except AccountError as error:
        _cli_fail(error)
    db.conn.commit()
    click.echo(f"password changed for {name}")


@users_cli.command("list")
def list_command():
    """Every account with its role and whether it may log in."""
    db = _cli_db()
    database.migrate(db)
    for user in list_users(db):
        state = "active" if user["active"] else "disabled"
        click.echo(f"{user['name']:<20} {user['role']:<7} {state}")


# --- wiring --------------------------------------------------------------------------


def register(app):
    """Sessions that expire, CSRF on every form (the WeChat webhook excepted), the login
    views and the `users` commands."""
    minutes = int(app.config.get("SESSION_LIFETIME_MINUTES", 120))
    # Flask's own defaults (31 days, no SameSite) are replaced, not merely defaulted.
    app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(minutes=minutes)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config["SESSION_COOKIE_NAME"] = "silverhelper_session"
    # Forms stay valid as long as the login does; the session lifetime bounds both.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    csrf.exempt(webhook.bp)  # WeChat signs its own requests; it has no CSRF token.
    app.register_blueprint(bp)
    app.cli.add_command(users_cli)

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return render_template("csrf_error.html"), 400

    @app.context_processor
    def staff_context():
        return {
            "current_user": current_user,
            "has_role": has_role,
            "ROLE_NAMES": ROLE_NAMES,
        }
