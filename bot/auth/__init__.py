"""Staff login: sessions that expire and end server-side, roles on every page, CSRF on
every form. The accounts themselves live in bot.auth.accounts, the `users` commands in
bot.auth.cli.

Roles rank viewer < editor < admin: viewers read reports, editors curate the knowledge
base, admins also manage accounts. There is no default account or password: the first
admin is made with `flask --app server users create-admin NAME`.
"""

import datetime
import hashlib
import hmac
from functools import wraps
from urllib.parse import urlsplit

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
from flask_wtf.csrf import CSRFError, CSRFProtect

from bot import services as services_module
from bot.auth.accounts import (  # noqa: F401  (the names staff pages use)
    RANK,
    ROLE_NAMES,
    ROLES,
    AccountError,
    active_admins,
    authenticate,
    create_user,
    end_sessions,
    get_user,
    list_users,
    set_active,
    set_password,
    set_role,
    unlock,
)
from bot.auth.cli import users_cli

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()

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


# --- wiring --------------------------------------------------------------------------


def register(app):
    """Sessions that expire, CSRF on every form, the login views and the `users`
    commands. Blueprints that sign their own requests are exempted by the app factory."""
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
