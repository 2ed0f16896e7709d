"""A WeChat server stand-in written from the protocol description, not from wechatpy.

It signs requests (SHA-1 over the sorted token, timestamp, nonce [, ciphertext]),
encrypts in safe mode (AES-256-CBC, key = Base64(EncodingAESKey + "="), IV = the key's
first 16 bytes, plaintext = 16 random bytes + 4-byte big-endian length + message +
AppID, PKCS#7 padding to 32 bytes) and decrypts the server's encrypted replies.
"""

import base64
import hashlib
import os
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlencode

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def sign(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def aes_key(encoding_aes_key):
    return base64.b64decode(encoding_aes_key + "=")


def encrypt(plain, encoding_aes_key, app_id, random16=None):
    key = aes_key(encoding_aes_key)
    body = plain.encode("utf-8")
    data = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + app_id.encode()
    pad = 32 - len(data) % 32
    data += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def decrypt(ciphertext, encoding_aes_key):
    """(message, app_id) from a Base64 ciphertext."""
    key = aes_key(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    data = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
    data = data[: -data[-1]]
    (length,) = struct.unpack(">I", data[16:20])
    return data[20 : 20 + length].decode("utf-8"), data[20 + length :].decode()


def cdata(value):
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(fields, to_user="gh_silverhelper", from_user="oUser123", create_time=None):
    """A push as WeChat sends it; `fields` are the type-specific elements."""
    parts = [
        f"<ToUserName>{cdata(to_user)}</ToUserName>",
        f"<FromUserName>{cdata(from_user)}</FromUserName>",
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
    ]
    for name, value in fields.items():
        if isinstance(value, int | float):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            parts.append(f"<{name}>{cdata(value)}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(content, msg_id, **kw):
    return message_xml({"MsgType": "text", "Content": content, "MsgId": msg_id}, **kw)


def event_xml(event, key=None, **kw):
    fields = {"MsgType": "event", "Event": event}
    if key is not None:
        fields["EventKey"] = key
    return message_xml(fields, **kw)


@dataclass
class Request:
    """What WeChat would send: the query string and the body."""

    query: dict
    body: str

    @property
    def url(self):
        return "/wechat?" + urlencode(self.query)


class WeChatServer:
    """Builds the signed (and, in safe mode, encrypted) requests WeChat sends."""

    def __init__(self, token, encoding_aes_key=None, app_id=None):
        self.token = token
        self.encoding_aes_key = encoding_aes_key
        self.app_id = app_id

    def _base_query(self, timestamp=None, nonce=None):
        timestamp = str(timestamp or int(time.time()))
        nonce = nonce or os.urandom(6).hex()
        return {
            "signature": sign(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }

    def verify_url(self, echostr="echo-123"):
        return dict(self._base_query(), echostr=echostr)

    def plain(self, xml, timestamp=None):
        return Request(dict(self._base_query(timestamp), openid="oUser123"), xml)

    def safe(self, xml, compatible=False, timestamp=None, to_user="gh_silverhelper"):
        query = self._base_query(timestamp)
        ciphertext = encrypt(xml, self.encoding_aes_key, self.app_id)
        query.update(
            encrypt_type="aes",
            msg_signature=sign(self.token, query["timestamp"], query["nonce"], ciphertext),
        )
        if compatible:
            inner = xml[len("<xml>") : -len("</xml>")]
            body = f"<xml>{inner}<Encrypt>{cdata(ciphertext)}</Encrypt></xml>"
        else:
            to = f"<ToUserName>{cdata(to_user)}</ToUserName>"
            body = f"<xml>{to}<Encrypt>{cdata(ciphertext)}</Encrypt></xml>"
        return Request(query, body)

    def open_reply(self, body):
        """The reply as a dict of its elements, decrypting and checking it if encrypted."""
        root = ET.fromstring(body)
        encrypted = root.findtext("Encrypt")
        if encrypted is not None:
            expected = sign(
                self.token, root.findtext("TimeStamp"), root.findtext("Nonce"), encrypted
            )
            assert root.findtext("MsgSignature") == expected, "reply signature is wrong"
            plain, app_id = decrypt(encrypted, self.encoding_aes_key)
            assert app_id == self.app_id
            root = ET.fromstring(plain)
        return {child.tag: (child.text or "") for child in root}
