"""The `/wechat` endpoint: WeChat in, dialogue, WeChat out, with dedup and the log."""

import logging

from flask import Blueprint, abort, request

from bot import services as services_module
from bot.chat.dialogue import Message
from bot.wechat import dedup
from bot.wechat.protocol import SUCCESS, ProtocolError

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


def _services():
    return services_module.current()


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
    services = _services()
    protocol = services.protocol
    body = _body(services.settings["MAX_CONTENT_LENGTH"])
    incoming = protocol.parse(body, request.args)
    message = to_message(incoming.message)
    key = incoming.dedup_key(services.user_hash(message.user))
    try:
        reply = services.handle(message, key, (incoming.nonce, incoming.timestamp, body))
    except dedup.Replayed:
        raise ProtocolError(403, "signature already used for another message") from None
    reply_xml = protocol.reply_xml(incoming, reply.text, reply.transfer)
    return _xml(protocol.wire(incoming, reply_xml))


def _body(limit):
    """The request body, or 413 when it is over the limit, chunked bodies included:
    werkzeug cuts a chunked body at the limit silently, which then read as broken XML."""
    if request.content_length is not None:
        if request.content_length > limit:
            abort(413)
        return request.get_data(cache=False)
    body = request.environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        abort(413)
    return body


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
        # A click's key, or a scanned QR code's scene.
        key = getattr(msg, "key", None) or getattr(msg, "scene_id", None) or ""
        return Message(user, "event", event=event, event_key=str(key))
    if kind == "image":
        return Message(
            user,
            "image",
            media_url=getattr(msg, "image", "") or "",
            media_id=getattr(msg, "media_id", "") or "",
        )
    if kind in ("video", "shortvideo", "location"):
        return Message(user, kind)
    return Message(user, "unknown")
