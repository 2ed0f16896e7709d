"""Command-line operations for staff and ops: `flask --app server kb check`, ..."""

import click
from flask import current_app
from flask.cli import AppGroup

from bot import db as database
from bot import schema
from bot import services as services_module
from bot.kb import entries as knowledge
from bot.kb.check import check
from bot.search.nlp import Analyzer

kb = AppGroup("kb", help="Knowledge base: check and import.")


@kb.command("check")
def kb_check():
    """Validate every file in knowledge/; exit 1 and name each problem if any."""
    knowledge_dir = current_app.config["KNOWLEDGE_DIR"]
    entries, problems = check(knowledge_dir, Analyzer.from_directory(knowledge_dir))
    problems += _missing_file_problems(knowledge_dir)
    counts = {}
    for entry in entries:
        counts[entry.category] = counts.get(entry.category, 0) + 1
    for category in knowledge.CATEGORIES:
        click.echo(f"{category:<11} {counts.get(category, 0):>4}")
    click.echo(f"{'total':<11} {len(entries):>4}")
    warnings = [w for entry in entries for w in knowledge.voice_warnings(entry)]
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"ok ({len(warnings)} warnings)" if warnings else "ok")


@kb.command("import")
def kb_import():
    """Bring changed files into the database; never overwrites a staff edit."""
    knowledge_dir = current_app.config["KNOWLEDGE_DIR"]
    entries, problems = check(knowledge_dir, Analyzer.from_directory(knowledge_dir))
    problems += _missing_file_problems(knowledge_dir)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise SystemExit(1)
    db = database.connect(current_app.config["BOT_DATABASE"])
    added, updated, kept, retired = knowledge.sync_from_files(db, entries)
    db.conn.commit()
    click.echo(
        f"added {len(added)}, updated {len(updated)}, retired {len(retired)},"
        f" kept staff edits {len(kept)}"
    )
    for entry_id in kept:
        click.echo(f"  kept staff edit: {entry_id}")


def _missing_file_problems(knowledge_dir):
    db = database.connect(current_app.config["BOT_DATABASE"])
    try:
        schema.migrate(db)
        return knowledge.missing_file_problems(db, knowledge_dir)
    finally:
        db.conn.close()


@kb.command("retire-missing")
@click.option("--yes", is_flag=True, help="retire them; without it, only list them")
def kb_retire_missing(yes):
    """List the active entries whose file is gone; with --yes, retire them."""
    db = database.connect(current_app.config["BOT_DATABASE"])
    missing = knowledge.missing_files(db, current_app.config["KNOWLEDGE_DIR"])
    ids = [entry_id for group in missing.values() for entry_id in group]
    for name, group in missing.items():
        click.echo(f"{name}: {len(group)} entries: {', '.join(group)}")
    if not ids:
        click.echo("no entries of a missing file")
    elif yes:
        knowledge.retire_entries(db, ids)
        db.conn.commit()
        click.echo(f"retired {len(ids)}")
    else:
        click.echo("run again with --yes to retire them")
    db.conn.close()


outbox_cli = AppGroup("outbox", help="Messages sent through WeChat's API (family guardians).")


@outbox_cli.command("run")
def outbox_run():
    """Send queued messages and read screenshots until stopped (beside gunicorn)."""
    services = services_module.current()
    workers = [services.outbox_worker()]
    if current_app.config["SCREENSHOTS"]:
        workers.append(services.screenshot_worker())
    click.echo("sending the outbox (and reading screenshots when on); Ctrl-C to stop")
    try:
        while all(w.is_alive() for w in workers):
            workers[0].join(1)
    except KeyboardInterrupt:
        for worker in workers:
            worker.stop()


def register(app):
    from bot.wechat.menu import menu_cli

    app.cli.add_command(kb)
    app.cli.add_command(menu_cli)
    app.cli.add_command(outbox_cli)
