"""The review queue page: group by group, add the question as a phrasing of an entry,
write a new entry from it, or dismiss it."""

from flask import flash, redirect, render_template, request, url_for

from bot.auth import current_user
from bot.kb import curation, review
from bot.staff import bp, services


@bp.get("/review", endpoint="review")
def review_queue():
    services_ = services()
    db = services_.db()
    settings = services_.settings
    groups = review.build(
        db,
        services_.analyzer,
        services_.index.current(db),
        low_score=float(settings.get("REVIEW_LOW_SCORE", 0.25)),
        days=int(settings.get("REVIEW_DAYS", 60)),
        threshold=float(settings.get("REVIEW_GROUP_SIMILARITY", 0.5)),
    )
    return render_template(
        "staff/review.html",
        groups=groups,
        reason_names=review.REASON_NAMES,
        days=int(settings.get("REVIEW_DAYS", 60)),
    )


def _keys():
    return [key for key in request.form.getlist("key") if key][:200]


@bp.post("/review/phrasing")
def review_add_phrasing():
    services_ = services()
    db = services_.db()
    entry_id = (request.form.get("other_id") or request.form.get("entry_id") or "").strip()
    text = request.form.get("text", "")
    user = current_user()["name"]
    if not entry_id:
        flash("请先选一个条目，或者填上条目编号。", "error")
        return redirect(url_for("staff.review"))
    found = curation.add_phrasing(db, services_.analyzer, entry_id, text, user)
    if found:
        for _, message in found:
            flash(f"没有加上：{message}", "error")
        return redirect(url_for("staff.review"))
    review.mark_handled(db, _keys(), user, "phrasing", entry_id)
    flash(f"已把“{' '.join(text.split())}”加为 {entry_id} 的问法。", "ok")
    return redirect(url_for("staff.review"))


@bp.post("/review/dismiss")
def review_dismiss():
    keys = _keys()
    if keys:
        review.mark_handled(services().db(), keys, current_user()["name"], "dismiss")
        flash("已忽略这一组问题。以后再有人问，还会出现在这里。", "ok")
    return redirect(url_for("staff.review"))
