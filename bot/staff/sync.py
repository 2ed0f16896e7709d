"""Import and export between the database and the knowledge/ files.

Export writes the active entries back to entries/*.yaml so changes can be reviewed,
versioned and backed up. Import brings file changes in but never overwrites a staff
edit: those are listed, with their difference, and replaced only on request.
"""

from pathlib import Path

import click
from flask import current_app, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext

from bot import db as database
from bot import schema
from bot.auth import current_user
from bot.kb import curation, revisions
from bot.kb import entries as knowledge
from bot.kb.check import check
from bot.search.nlp import Analyzer
from bot.staff import bp, services


def export_dir(settings):
    return settings.get("KB_EXPORT_DIR") or settings["KNOWLEDGE_DIR"]


@bp.get("/sync")
def sync():
    services_ = services()
    db = services_.db()
    staff_edits = knowledge.staff_edits(db)
    return render_template(
        "staff/sync.html",
        knowledge_dir=services_.settings["KNOWLEDGE_DIR"],
        export_dir=export_dir(services_.settings),
        staff_edits=staff_edits,
        result=None,
    )


def _file_entries(knowledge_dir):
    return check(knowledge_dir, Analyzer.from_directory(knowledge_dir))


@bp.post("/sync/import")
def sync_import():
    services_ = services()
    db = services_.db()
    knowledge_dir = services_.settings["KNOWLEDGE_DIR"]
    entries, problems = _file_entries(knowledge_dir)
    problems = problems + knowledge.missing_file_problems(db, knowledge_dir)
    if problems:
        return render_template(
            "staff/sync.html",
            knowledge_dir=knowledge_dir,
            export_dir=export_dir(services_.settings),
            staff_edits=[],
            result={"problems": problems},
        ), 400
    added, updated, kept, retired = knowledge.sync_from_files(db, entries)
    released = set(knowledge.kept_file_ownership(db, [e for e in entries if e.id in kept]))
    db.conn.commit()
    by_id = {e.id: e for e in entries}
    conflicts = []
    for entry_id in kept:
        if entry_id in released:
            continue
        row = knowledge.get_row(db, entry_id)
        file_entry = by_id[entry_id]
        file_data = revisions.entry_state(
            {
                **knowledge.raw_from_entry(file_entry),
                "status": "active",
                "origin_file": file_entry.origin_file,
            }
        )
        conflicts.append(
            {
                "id": entry_id,
                "by": row["updated_by"],
                "changes": revisions.diff(revisions.entry_state(row), file_data),
            }
        )
    return render_template(
        "staff/sync.html",
        knowledge_dir=knowledge_dir,
        export_dir=export_dir(services_.settings),
        staff_edits=[],
        result={
            "added": added,
            "updated": updated,
            "released": sorted(released),
            "conflicts": conflicts,
        },
    )


@bp.post("/sync/take-file")
def sync_take_file():
    """Replace one staff-edited entry by the file's version, on explicit request."""
    services_ = services()
    db = services_.db()
    entry_id = request.form.get("id", "")
    entries, problems = _file_entries(services_.settings["KNOWLEDGE_DIR"])
    entry = next((e for e in entries if e.id == entry_id), None)
    if problems or entry is None:
        flash("文件里没有这个条目，或者文件有问题，没有替换。", "error")
        return redirect(url_for("staff.sync"))
    curation.take_file_version(db, entry, current_user()["name"])
    flash(f"{entry_id} 已换成文件里的版本；原来的内容在它的历史里，可以回退。", "ok")
    return redirect(url_for("staff.entry", entry_id=entry_id))


@bp.post("/sync/export")
def sync_export():
    services_ = services()
    directory = export_dir(services_.settings)
    written = knowledge.export_entries(
        services_.db(), directory, headers_from=services_.settings["KNOWLEDGE_DIR"]
    )
    total = sum(written.values())
    where = Path(directory) / "entries"
    flash(f"已导出 {total} 个条目到 {where}（{len(written)} 个文件）。", "ok")
    return redirect(url_for("staff.sync"))


@click.command("export")
@with_appcontext
@click.option("--to", "directory", default=None, help="Folder to write (default: KB_EXPORT_DIR).")
def export_command(directory):
    """Write the database's active entries back to entries/*.yaml."""
    directory = directory or export_dir(current_app.config)
    db = database.connect(current_app.config["BOT_DATABASE"])
    schema.migrate(db)
    written = knowledge.export_entries(
        db, directory, headers_from=current_app.config["KNOWLEDGE_DIR"]
    )
    for name, count in written.items():
        click.echo(f"{name:<20} {count:>4}")
    click.echo(f"exported {sum(written.values())} entries to {Path(directory) / 'entries'}")
