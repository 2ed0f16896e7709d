"""Helpers the test modules share: sending over the wire, the app's services."""

from bot.services import of as services_of
from tests.wxclient import text_xml

__all__ = ["post", "ask", "services_of"]


def post(client, request):
    """POST a WeChat request (query string and body) to the webhook."""
    return client.post(request.url, data=request.body.encode("utf-8"), content_type="text/xml")


def ask(client, wechat, content, msg_id=1001, **kw):
    """Send a signed plain text message; the decoded reply."""
    response = post(client, wechat.plain(text_xml(content, msg_id, **kw)))
    assert response.status_code == 200
    return wechat.open_reply(response.data)
