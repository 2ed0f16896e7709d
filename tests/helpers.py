"""Helpers the test modules share: sending over the wire, the app's services."""

import html
import re
import time
from itertools import count

from bot.chat.dialogue import Message
from bot.services import of as services_of
from tests.wxclient import event_xml, message_xml, text_xml

__all__ = ["post", "ask", "services_of", "Chat", "answer_for", "edit_form", "message_ids"]


def post(client, request):
    """POST a WeChat request (query string and body) to the webhook."""
    return client.post(request.url, data=request.body.encode("utf-8"), content_type="text/xml")


def ask(client, wechat, content, msg_id=1001, **kw):
    """Send a signed plain text message; the decoded reply."""
    response = post(client, wechat.plain(text_xml(content, msg_id, **kw)))
    assert response.status_code == 200
    return wechat.open_reply(response.data)


# Message ids no two test messages share.
message_ids = count(50_000)


class Chat:
    """One resident talking to one or more server processes sharing a database."""

    def __init__(self, wechat, *apps, user="oChatUser"):
        self.wechat = wechat
        self.clients = [app.test_client() for app in apps]
        self.user = user
        self.turn = 0

    def _send(self, xml, via=None):
        client = self.clients[via if via is not None else self.turn % len(self.clients)]
        self.turn += 1
        response = post(client, self.wechat.plain(xml))
        assert response.status_code == 200
        return None if response.data == b"success" else self.wechat.open_reply(response.data)

    def say(self, text, via=None):
        reply = self._send(text_xml(text, next(message_ids), from_user=self.user), via)
        return reply["Content"] if reply and "Content" in reply else reply

    def event(self, event, key=None):
        reply = self._send(event_xml(event, key=key, from_user=self.user))
        return reply["Content"] if reply else None

    def send(self, fields):
        reply = self._send(message_xml(dict(fields, MsgId=next(message_ids)), from_user=self.user))
        return reply["Content"] if reply else None


def answer_for(app, text, entry_id, starts="", timeout=5.0):
    """The bot's reply once it answers with `entry_id` (and an answer starting with
    `starts`): every worker's index catches up within seconds."""
    services = services_of(app)
    deadline = time.monotonic() + timeout
    while True:
        reply = services.respond(Message(user="resident-1", kind="text", text=text))
        done = reply.entry_id == entry_id and reply.text.startswith(starts)
        if done or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def edit_form(client, entry_id):
    page = client.get(f"/staff/entry/{entry_id}/edit").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*? name="(\w+)"[^>]*? value="([^"]*)"', page))
    fields.update(re.findall(r'<textarea id="\w+" name="(\w+)"[^>]*>(.*?)</textarea>', page, re.S))
    fields["category"] = re.search(r'<option value="(\w+)" selected>', page).group(1)
    names = ("csrf_token", "seen_updated_at", "category", "question", "phrasings", "answer")
    names += ("source", "reviewed")
    return {name: html.unescape(fields[name]) for name in names}
