"""The `/wechat` endpoint: WeChat in, dialogue, WeChat out, with dedup and the log."""

import logging
import time

from flask import Blueprint, abort, current_app, request

from . import dedup, texts, usage
from .dialog import Message, Reply
from .wechat import SUCCESS, ProtocolError

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


def _services():
    services = current_app.extensions["silverhelper"]
    if services is None:
        abort(503, "the knowledge base is invalid: run `flask --app server kb check`")
    return services


def _plain(text, status=200):
    return text, status, {"Content-Type": "text/plain; charset=utf-8"}


@bp.errorhandler(ProtocolError)
def protocol_error(error):
    log.warning("refused %s: %s", request.path, error.reason)
    return _plain(error.reason, error.status)


@bp.get("/wechat")
def verify():
    return _plain(_services().protocol.echo(request.args))


@bp.post("/wechat")
def receive():
    started = time.perf_counter()
    services = _services()
    protocol = services.protocol
    incoming = protocol.parse(request.get_data(cache=False), request.args)
    db = services.db()
    key = incoming.dedup_key
    if not dedup.claim(db, key):
        stored = dedup.wait_for_reply(db, key, services.settings["DEDUP_WAIT_SECONDS"])
        if stored is not None:
            text, transfer = stored
            return _xml(protocol.wire(incoming, protocol.reply_xml(incoming, text, transfer)))
        # The first delivery never finished (its worker died): answer this one.
    message = to_message(incoming.message)
    try:
        reply = services.respond(message, commit=False)
    except Exception:
        log.exception("dialogue failed for %s", key)
        db.conn.rollback()
        reply = Reply(texts.SORRY, "error")
    reply_xml = protocol.reply_xml(incoming, reply.text, reply.transfer)
    dedup.store_reply(db, key, reply.text, reply.transfer)
    usage.record(
        db,
        hash_key=services.settings["USER_HASH_KEY"],
        user=message.user,
        msg_type=message.kind,
        event=message.event,
        text=message.text,
        outcome=reply.outcome,
        category=reply.category,
        entry_id=reply.entry_id,
        score=reply.score,
        latency_ms=(time.perf_counter() - started) * 1000,
        msg_key=key,
        alarm=reply.alarm,
    )
    db.conn.commit()  # dialogue state, the reply for retries and the usage row, together
    return _xml(protocol.wire(incoming, reply_xml))


def _xml(body):
    if body == SUCCESS:
        return _plain(body)
    return body, 200, {"Content-Type": "application/xml; charset=utf-8"}


def to_message(msg):
    """A wechatpy message or event as the dialogue's protocol-free Message."""
    kind = msg.type
    user = msg.source
    if kind == "text":
        return Message(user, "text", text=msg.content or "")
    if kind == "voice":
        return Message(user, "voice", text=msg.recognition or "")
    if kind == "link":
        return Message(user, "link", text=msg.title or "")
    if kind == "event":
        event = (msg.event or "").lower()
        return Message(user, "event", event=event, event_key=getattr(msg, "key", "") or "")
    if kind in ("image", "video", "shortvideo", "location"):
        return Message(user, kind)
    return Message(user, "unknown")
