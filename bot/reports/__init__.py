"""Usage reports for coordinators: a page with charts and tables, CSV and Excel exports,
a printable monthly summary, and the `report` and `purge-text` commands."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from bot.reports import cli, views  # noqa: E402, F401  (views attach their routes to bp)


def register(app):
    """Blueprint and command-line commands, in one call from the app factory."""
    app.register_blueprint(bp)
    cli.register(app)
