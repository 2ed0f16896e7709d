"""The WeChat wire protocol, kept in one place: signatures, AES, parsing, reply XML.

Incoming XML is checked by defusedxml (no DTDs, no entity expansion, no external
entities) before wechatpy reads it, raw control characters are removed, and reply text
is made safe for CDATA and cut to WeChat's 2,048-byte limit.
"""

import re
import time
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply, TransferCustomerServiceReply
from wechatpy.utils import check_signature

REPLY_LIMIT_BYTES = 2048
SUCCESS = "success"
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class ProtocolError(Exception):
    """A request WeChat would never send; `status` is the HTTP answer (400 or 403)."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Incoming:
    """A parsed WeChat push, independent of how it arrived (plain or encrypted)."""

    message: object  # a wechatpy message or event object
    encrypted: bool
    nonce: str
    timestamp: str

    def dedup_key(self, sender):
        """What makes a delivery the same message: the sender (`sender` is the caller's
        keyed hash of the openid, never the openid) with the MsgId, or for events (they
        have no id) with CreateTime, event and key, since two clicks can fall in one
        second. The sender is in both: a MsgId reused by another sender is a new message.
        """
        msg = self.message
        msg_id = getattr(msg, "id", None)
        if msg_id:
            return f"msg:{sender}:{msg_id}"
        event = getattr(msg, "event", "") or msg.type
        key = getattr(msg, "key", "") or ""
        return f"evt:{sender}:{int(msg.create_time.timestamp())}:{event}:{key}"


class Protocol:
    """Verifies, decrypts and parses pushes; renders and encrypts replies."""

    def __init__(self, token, aes_key="", app_id="", timestamp_window=300, mode=None):
        self.token = token
        self.timestamp_window = timestamp_window
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key and app_id else None
        self.mode = mode or ("safe" if self.crypto else "plain")

    # -- verification ------------------------------------------------------------------

    def check_request(self, args):
        """Signature and timestamp of any request; raises ProtocolError(403)."""
        signature = args.get("signature", "")
        timestamp = args.get("timestamp", "")
        nonce = args.get("nonce", "")
        if not (signature and timestamp and nonce):
            raise ProtocolError(403, "missing signature, timestamp or nonce")
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise ProtocolError(403, "bad signature") from None
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            raise ProtocolError(403, "bad timestamp") from None
        if skew > self.timestamp_window:
            raise ProtocolError(403, "timestamp outside the accepted window")

    def echo(self, args):
        """GET URL verification: the echostr proves we hold the token."""
        self.check_request(args)
        return args.get("echostr", "")

    # -- parsing -----------------------------------------------------------------------

    def parse(self, body, args):
        self.check_request(args)
        xml = _clean_xml(body)
        encrypted = args.get("encrypt_type", "raw").lower() == "aes"
        if self.mode == "safe" and not encrypted:
            raise ProtocolError(403, "safe mode: only encrypted messages are accepted")
        if encrypted:
            xml = self._decrypt(xml, args)
        try:
            message = parse_message(xml)
        except Exception:  # wechatpy raises KeyError/ValueError/... on odd shapes
            raise ProtocolError(400, "not a WeChat message") from None
        if message is None or not getattr(message, "source", None):
            raise ProtocolError(400, "not a WeChat message")
        try:  # wechatpy converts these lazily; a bad MsgId or CreateTime must fail here
            getattr(message, "id", None)
            message.create_time.timestamp()
        except (TypeError, ValueError, OverflowError, OSError, AttributeError):
            raise ProtocolError(400, "bad MsgId or CreateTime") from None
        return Incoming(message, encrypted, args.get("nonce", ""), args.get("timestamp", ""))

    def _decrypt(self, xml, args):
        if self.crypto is None:
            raise ProtocolError(400, "encrypted message but safe mode is not configured")
        envelope = _safe_tree(xml)
        encrypt = envelope.findtext("Encrypt")
        if not encrypt:
            raise ProtocolError(400, "no Encrypt element")
        try:
            plain = self.crypto.decrypt_message(
                {"Encrypt": encrypt},
                args.get("msg_signature", ""),
                args.get("timestamp", ""),
                args.get("nonce", ""),
            )
        except (InvalidSignatureException, InvalidAppIdException):
            raise ProtocolError(403, "bad msg_signature or AppID") from None
        except Exception:  # bad base64, padding or length: not from WeChat
            raise ProtocolError(400, "cannot decrypt") from None
        return _clean_xml(plain)

    # -- replies -----------------------------------------------------------------------

    def reply_xml(self, incoming, text=None, transfer=False):
        """The plain reply XML ('' when nothing is to be shown)."""
        msg = incoming.message
        if transfer:
            return TransferCustomerServiceReply(message=msg).render()
        if not text:
            return ""
        return TextReply(message=msg, content=_cdata_safe(fit_reply_text(text))).render()

    def wire(self, incoming, reply_xml):
        """What goes back over HTTP: 'success', the XML, or the XML encrypted."""
        if not reply_xml:
            return SUCCESS
        if incoming.encrypted:
            return self.crypto.encrypt_message(reply_xml, incoming.nonce)
        return reply_xml


def fit_reply_text(text, limit=REPLY_LIMIT_BYTES):
    """Cut text to WeChat's byte limit on a character boundary, marking the cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = "…"
    room = limit - len(marker.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + marker


def _cdata_safe(text):
    """wechatpy writes text into CDATA as is; ']]>' would end it early."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def _clean_xml(body):
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(400, "body is not UTF-8") from None
    body = _CONTROL_CHARS.sub("", body).strip()
    if not body:
        raise ProtocolError(400, "empty body")
    _safe_tree(body)
    return body


def _safe_tree(xml):
    try:
        return fromstring(xml, forbid_dtd=True)
    except DefusedXmlException:
        raise ProtocolError(400, "XML with DTD or entities refused") from None
    except (ParseError, ValueError):
        raise ProtocolError(400, "malformed XML") from None
