"""Reports and privacy from the command line:

flask --app server report --from 2025-10-01 --to 2025-10-31 --format xlsx
flask --app server purge-text --days 180
"""

import datetime
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bot import db as database
from bot import schema, usage
from bot import services as services_module
from bot.chat import conversation
from bot.reports import exports, queries
from bot.screenshots import store as screenshot_store
from bot.search.nlp import Analyzer


def _db():
    return database.connect(current_app.config["BOT_DATABASE"])


def _analyzer():
    services = services_module.of(current_app)
    if services is not None:
        return services.analyzer
    return Analyzer.from_directory(current_app.config["KNOWLEDGE_DIR"])


@click.command("report")
@with_appcontext
@click.option("--from", "start", help="First day, YYYY-MM-DD (default: last month's first).")
@click.option("--to", "end", help="Last day, YYYY-MM-DD, included (default: last month's last).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="xlsx: the workbook file; csv: a folder for one file per table."
    " Default: 银龄助手报表_FROM_TO(.xlsx) in the current folder.",
)
def report_command(start, end, fmt, output):
    """Write the usage report for a date range as an Excel workbook or CSV files."""
    try:
        first, last = queries.parse_range(start, end)
    except queries.RangeError as error:
        raise click.UsageError(str(error)) from None
    db = _db()
    schema.migrate(db)
    report = queries.build(db, first, last, _analyzer())
    stem = exports.file_stem(report)
    if fmt == "xlsx":
        path = output or Path(stem + ".xlsx")
        path.write_bytes(exports.workbook_bytes(report))
        click.echo(f"{first} 至 {last}: {path}")
        return
    folder = output or Path(stem)
    folder.mkdir(parents=True, exist_ok=True)
    click.echo(f"{first} 至 {last}: {folder}")
    for table in report.tables:
        path = folder / f"{table.key}.csv"
        path.write_bytes(exports.csv_bytes(table))
        click.echo(f"  {path.name}  {table.title}")


@click.command("purge-text")
@with_appcontext
@click.option(
    "--days",
    type=click.IntRange(min=1),
    required=True,
    help="Keep message text of the last DAYS days; clear anything older.",
)
def purge_text_command(days):
    """Clear the text of messages and feedback older than DAYS days; every count stays.

    Cleared text is overwritten in the file too (secure_delete, then a WAL checkpoint),
    not only unlinked.
    """
    cutoff = (queries.today() - datetime.timedelta(days=days)).isoformat()
    db = _db()
    schema.migrate(db)
    db.execute("PRAGMA secure_delete = ON")
    with db.conn:
        messages, feedback = usage.purge_text(db, cutoff)
        # Screenshot checks keep the masked text they read: the same retention.
        screenshots = screenshot_store.purge_text(db, cutoff)
        # Conversation state holds the last question's text too.
        states = conversation.purge_before(db, cutoff_seconds(days))
        states += conversation.purge_expired(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    click.echo(
        f"cleared text before {cutoff}: {messages} messages, {feedback} feedback rows,"
        f" {states} conversation states, {screenshots} screenshot checks"
    )


def cutoff_seconds(days):
    return time.time() - days * 86400


def register(app):
    app.cli.add_command(report_command)
    app.cli.add_command(purge_text_command)
