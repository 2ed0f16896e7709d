"""Entry pages: list with search and category filter; create, edit, retire and restore;
the history of every change with its difference, and roll back."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from bot.auth import current_user
from bot.kb import curation, review, revisions
from bot.kb import entries as knowledge
from bot.staff import bp, services

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond this an offset overflows SQLite's integers


def _me():
    return current_user()["name"]


def _row_or_404(entry_id):
    row = knowledge.get_row(services().db(), entry_id)
    if row is None:
        abort(404)
    return row


@bp.get("/entries")
def entries():
    db = services().db()
    text = request.args.get("q", "").strip()[:100]
    category = request.args.get("category", "")
    if category not in knowledge.CATEGORIES:
        category = ""
    status = request.args.get("status", "active")
    if status not in ("active", "retired", "all"):
        status = "active"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    if page > MAX_PAGE:
        return f"页码太大：最多 {MAX_PAGE} 页。", 400, {"Content-Type": "text/plain; charset=utf-8"}
    rows, total = knowledge.search_entries(
        db, text, category, status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "staff/entries.html",
        rows=rows,
        total=total,
        q=text,
        category=category,
        status=status,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        categories=curation.CATEGORY_NAMES,
    )


def _form_page(raw, is_new, problems=(), keys=(), seen_updated_at="", status=200):
    by_field = {}
    for field, message in problems:
        by_field.setdefault(field if field in curation.FIELD_LABELS else "", []).append(message)
    return (
        render_template(
            "staff/entry_form.html",
            raw=raw,
            is_new=is_new,
            problems=by_field,
            keys=keys,
            seen_updated_at=seen_updated_at,
            categories=curation.CATEGORY_NAMES,
            limit=knowledge.MAX_ANSWER_BYTES,
            min_phrasings=knowledge.MIN_PHRASINGS,
            answer_bytes=curation.answer_bytes(raw),
        ),
        status,
    )


@bp.get("/entries/new")
def new_entry():
    """A blank form, or one started from a resident's question in the review queue."""
    question = " ".join(request.args.get("question", "").split())[:100]
    raw = {
        "id": "",
        "category": request.args.get("category", ""),
        "question": question,
        "phrasings": [question] if question else [],
        "answer": "",
        "source": "",
        "reviewed": curation.today(),
    }
    return _form_page(raw, True, keys=request.args.getlist("key"))


@bp.post("/entries/new")
def create_entry():
    services_ = services()
    db = services_.db()
    raw = curation.raw_from_form(request.form)
    keys = request.form.getlist("key")
    found = curation.save(db, services_.analyzer, raw, _me(), is_new=True)
    if found:
        return _form_page(raw, True, found, keys=keys, status=400)
    if keys:
        review.mark_handled(db, keys, _me(), "entry", raw["id"])
    flash("已新建条目。机器人几秒钟内就会用它回答。", "ok")
    return redirect(url_for("staff.entry", entry_id=raw["id"]))


@bp.get("/entry/<path:entry_id>/edit")
def edit_entry(entry_id):
    row = _row_or_404(entry_id)
    raw = knowledge.raw_from_entry(knowledge.entry_from_row(row))
    return _form_page(raw, False, seen_updated_at=row["updated_at"])


@bp.post("/entry/<path:entry_id>/edit")
def save_entry(entry_id):
    services_ = services()
    db = services_.db()
    _row_or_404(entry_id)
    raw = curation.raw_from_form(request.form, entry_id=entry_id)
    seen = request.form.get("seen_updated_at", "")
    try:
        found = curation.save(db, services_.analyzer, raw, _me(), seen_updated_at=seen)
    except curation.Stale:
        found = [
            (
                "",
                "别人在您打开这一页之后改过这个条目。请先记下您的改动，"
                "再重新打开这一页看看最新的内容。",
            )
        ]
        return _form_page(raw, False, found, seen_updated_at=seen, status=409)
    if found:
        return _form_page(raw, False, found, seen_updated_at=seen, status=400)
    flash("已保存。机器人几秒钟内就会用新的回答。", "ok")
    return redirect(url_for("staff.entry", entry_id=entry_id))


@bp.post("/entries/check")
def check_entry():
    """The same checks as saving, for the form to show while the editor types."""
    services_ = services()
    is_new = request.form.get("is_new") == "1"
    raw = curation.raw_from_form(request.form, entry_id=None if is_new else request.form.get("id"))
    found = curation.problems(services_.db(), services_.analyzer, raw, is_new)
    return jsonify(
        problems=[
            {"field": field, "label": curation.FIELD_LABELS.get(field, ""), "message": message}
            for field, message in found
        ],
        answer_bytes=curation.answer_bytes(raw),
        limit=knowledge.MAX_ANSWER_BYTES,
    )


@bp.get("/entry/<path:entry_id>")
def entry(entry_id):
    db = services().db()
    row = _row_or_404(entry_id)
    current = knowledge.entry_from_row(row)
    history = revisions.history(db, entry_id)
    now = revisions.entry_state(row)
    for newer, older in zip(history, [*history[1:], None]):
        newer["changes"] = revisions.diff(older["data"] if older else None, newer["data"])
        newer["is_current"] = newer["data"] == now
    return render_template(
        "staff/entry.html",
        row=row,
        entry=current,
        history=history,
        categories=curation.CATEGORY_NAMES,
    )


@bp.post("/entry/<path:entry_id>/status")
def change_status(entry_id):
    services_ = services()
    _row_or_404(entry_id)
    status = request.form.get("status")
    if status not in ("active", "retired"):
        abort(400)
    found = curation.set_status(services_.db(), services_.analyzer, entry_id, status, _me())
    if found:
        for _, message in found:
            flash("没有恢复：" + message, "error")
    elif status == "retired":
        flash("已停用。机器人不再用这一条回答；需要时可以恢复。", "ok")
    else:
        flash("已恢复使用。", "ok")
    return redirect(url_for("staff.entry", entry_id=entry_id))


@bp.post("/entry/<path:entry_id>/rollback/<int:revision_id>")
def rollback(entry_id, revision_id):
    services_ = services()
    db = services_.db()
    revision = revisions.get(db, revision_id)
    if revision is None or revision["entry_id"] != entry_id:
        abort(404)
    found = curation.rollback(db, services_.analyzer, revision, _me())
    if found:
        for _, message in found:
            flash("没有回退：" + message, "error")
    else:
        flash("已回退到那个版本。这次回退也记在历史里，可以再改回来。", "ok")
    return redirect(url_for("staff.entry", entry_id=entry_id))
