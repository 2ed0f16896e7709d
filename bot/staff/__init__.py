"""Staff pages under /staff: curate entries, work the review queue, try the bot,
import and export the knowledge files, and (admins) manage accounts.

Every page needs at least the editor role; account pages need admin.
"""

import datetime

from flask import Blueprint, redirect, render_template, request
from flask_wtf.csrf import CSRFError

from bot import services as services_module
from bot.auth import current_user, forbidden, has_role, home_for, login_redirect
from bot.usage import LOCAL_TZ

bp = Blueprint("staff", __name__, url_prefix="/staff")


def services():
    """The shared Services object; 503 when the knowledge base could not load."""
    return services_module.current()


@bp.app_template_filter("localtime")
def localtime(iso_text):
    """A stored UTC time as the county's local 'YYYY-MM-DD HH:MM'."""
    try:
        moment = datetime.datetime.fromisoformat(iso_text)
    except (TypeError, ValueError):
        return iso_text or ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(405)
def staff_error(error):
    if isinstance(error, CSRFError):  # a 400 too, but it has its own page
        return render_template("csrf_error.html"), 400
    return render_template("staff/message.html", code=error.code), error.code


@bp.before_request
def editors_only():
    user = current_user()
    if user is None:
        return login_redirect()
    if request.endpoint == "staff.home":
        return None  # every role has a home page; `home` sends it there
    if not has_role(user, "editor"):
        return forbidden()
    return None


@bp.get("/")
def home():
    return redirect(home_for(current_user()))


from bot.staff import entries, review, sync, tryit, users  # noqa: E402, F401  (views on bp)


def register(app):
    """The staff pages, and `flask --app server kb export` beside `kb import`."""
    from bot.kb.cli import kb

    app.register_blueprint(bp)
    kb.add_command(sync.export_command)
