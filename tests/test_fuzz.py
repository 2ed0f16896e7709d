"""The webhook under generated input: XML shapes, encodings, query strings and sizes.
Whatever arrives, the answer is never a 5xx and never shows a traceback."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wxclient import sign

TAGS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "Encrypt",
]
TYPES = ["text", "image", "voice", "event", "link", "location", "video", "", "unknown", "text\x00"]

xml_text = st.text(max_size=200)
element = st.tuples(
    st.sampled_from(TAGS), st.one_of(xml_text, st.sampled_from(TYPES)), st.booleans()
)


@st.composite
def bodies(draw):
    parts = []
    for tag, value, cdata in draw(st.lists(element, max_size=8)):
        inner = f"<![CDATA[{value}]]>" if cdata else value
        parts.append(f"<{tag}>{inner}</{tag}>")
    xml = "<xml>" + "".join(parts) + "</xml>"
    if draw(st.booleans()):
        xml = draw(st.text(max_size=300))  # anything at all
    encoding = draw(st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]))
    data = xml.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = draw(st.binary(max_size=300))
    if draw(st.integers(0, 20)) == 0:
        data = data * 400  # over the size limit now and then
    return data


@st.composite
def queries(draw, token="test-token"):
    timestamp = draw(st.sampled_from(["", "0", "abc", "99999999999999999999", None]))
    nonce = draw(st.text(max_size=20))
    query = {"nonce": nonce, "openid": draw(st.text(max_size=30))}
    if timestamp is None:  # a correctly signed, current request
        import time

        timestamp = str(int(time.time()))
        query["signature"] = sign(token, timestamp, nonce)
    else:
        query["signature"] = draw(st.text("0123456789abcdef", max_size=40))
    query["timestamp"] = timestamp
    if draw(st.booleans()):
        query["encrypt_type"] = draw(st.sampled_from(["aes", "raw", "AES", "", "x"]))
        query["msg_signature"] = draw(st.text("0123456789abcdef", max_size=40))
    return query


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=queries(),
    body=bodies(),
    content_type=st.sampled_from(["text/xml", "application/x-www-form-urlencoded", ""]),
)
def test_the_webhook_never_answers_5xx_or_a_traceback(client, query, body, content_type):
    response = client.post("/wechat", query_string=query, data=body, content_type=content_type)
    assert response.status_code < 500, (query, body[:80], response.status_code)
    text = response.get_data()
    assert b"Traceback" not in text and b'File "' not in text
