"""Try it: a message goes through the same dialogue code as the webhook; the page shows
the reply, the matched entry, its score and the runners-up. Nothing is written to the
residents' usage log or feedback."""

from flask import render_template, request

from bot import outcomes, usage
from bot.auth import current_user
from bot.chat.dialogue import Message
from bot.kb import entries as knowledge
from bot.privacy import user_hash
from bot.staff import bp, services

MAX_CHARS = 1000


def _fresh_snapshot(services_, db):
    """Staff expect their change at once: rebuild here if the index is behind."""
    snapshot = services_.index.current(db)
    if snapshot.version != knowledge.kb_version(db):
        snapshot = services_.index.build(db)
    return snapshot


@bp.get("/try")
def try_it():
    return render_template("staff/try.html", text=request.args.get("q", "")[:MAX_CHARS])


@bp.post("/try")
def try_it_send():
    services_ = services()
    db = services_.db()
    text = request.form.get("text", "")[:MAX_CHARS]
    snapshot = _fresh_snapshot(services_, db)
    user = "staff:" + current_user()["name"]
    reply = services_.respond(Message(user=user, kind="text", text=text))
    # A 有用/没用 typed here is staff testing, not a resident's judgement: drop it.
    usage.forget_feedback(db, user_hash(user, services_.settings["USER_HASH_KEY"]))
    db.conn.commit()
    hits = list(reply.hits) or (snapshot.retriever.search(text[:300], 5) if text.strip() else [])
    runners = [(snapshot.entry(h.id), h.score) for h in hits if snapshot.entry(h.id)]
    return render_template(
        "staff/try.html",
        text=text,
        reply=reply,
        outcome=outcomes.name(reply.outcome),
        matched=snapshot.entry(reply.entry_id) if reply.entry_id else None,
        runners=runners,
        threshold=snapshot.retriever.threshold,
    )
