"""The webhook over the real wire format: signed plain requests and AES safe mode."""

import xml.etree.ElementTree as ET

import pytest

from bot.chat import texts
from tests.helpers import ask, post
from tests.wxclient import event_xml, message_xml, text_xml


def test_url_verification_echoes(client, wechat):
    response = client.get("/wechat", query_string=wechat.verify_url("abc123"))
    assert response.status_code == 200
    assert response.data == b"abc123"


def test_url_verification_with_wrong_token_is_refused(client, wechat):
    query = wechat.verify_url("abc123")
    query["signature"] = "0" * 40
    assert client.get("/wechat", query_string=query).status_code == 403


def test_plain_text_gets_the_matching_entry(client, wechat):
    reply = ask(client, wechat, "微信怎么跟孙子打视屏")
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == "oUser123"
    assert reply["FromUserName"] == "gh_silverhelper"
    assert "视频通话" in reply["Content"]


def test_safe_mode_reply_is_encrypted(safe_app, wechat):
    client = safe_app.test_client()
    response = post(client, wechat.safe(text_xml("公安打电话让我转钱到安全账户", 2001)))
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert root.findtext("Encrypt")
    assert root.find("Content") is None  # nothing readable on the wire
    reply = wechat.open_reply(response.data)
    assert "96110" in reply["Content"] and "110" in reply["Content"]


def test_compatible_mode_reply_is_encrypted(safe_app, wechat):
    client = safe_app.test_client()
    response = post(client, wechat.safe(text_xml("一天吃多少盐", 2002), compatible=True))
    reply = wechat.open_reply(response.data)
    assert "5克" in reply["Content"]
    assert ET.fromstring(response.data).findtext("Encrypt")


def test_plain_request_to_safe_mode_server_is_refused(safe_app, wechat):
    response = post(safe_app.test_client(), wechat.plain(text_xml("一天吃多少盐", 2003)))
    assert response.status_code == 403 and b"safe mode" in response.data


def test_compatible_mode_takes_plain_and_encrypted(make_app, wechat):
    from tests.conftest import AES_KEY, APP_ID

    client = make_app(
        WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APP_ID, WECHAT_MODE="compat"
    ).test_client()
    plain = post(client, wechat.plain(text_xml("一天吃多少盐", 2007)))
    assert "5克" in wechat.open_reply(plain.data)["Content"]
    safe = post(client, wechat.safe(text_xml("一天吃多少盐", 2008)))
    assert "5克" in wechat.open_reply(safe.data)["Content"]


def test_a_mode_without_its_keys_refuses_to_start(make_app):
    import pytest

    with pytest.raises(ValueError, match="WECHAT_AES_KEY"):
        make_app(WECHAT_MODE="safe")


def test_a_captured_signature_with_another_body_is_refused(client, wechat):
    """In plain (and compatible) mode the signature covers token, timestamp and nonce,
    not the body: a captured query string must not carry another message."""
    first = wechat.plain(text_xml("一天吃多少盐", 2009))
    assert post(client, first).status_code == 200
    forged = wechat.plain(text_xml("公安让我转钱", 2010, from_user="oAttacker"))
    forged.query = dict(first.query)
    response = post(client, forged)
    assert response.status_code == 403 and b"already used" in response.data


def test_the_identical_request_again_is_a_retry_not_a_replay(safe_app, wechat):
    client = safe_app.test_client()
    request = wechat.safe(text_xml("一天吃多少盐", 2011))
    one, two = post(client, request), post(client, request)
    assert one.status_code == two.status_code == 200
    assert wechat.open_reply(one.data) == wechat.open_reply(two.data)


def test_wrong_msg_signature_is_refused(safe_app, wechat):
    request = wechat.safe(text_xml("你好", 2004))
    request.query["msg_signature"] = "f" * 40
    assert post(safe_app.test_client(), request).status_code == 403


def test_ciphertext_for_another_app_is_refused(safe_app, wechat):
    other = type(wechat)(wechat.token, wechat.encoding_aes_key, "wxotherapp0000000")
    response = post(safe_app.test_client(), other.safe(text_xml("你好", 2005)))
    assert response.status_code == 403


def test_encrypted_request_without_safe_mode_is_refused(client, wechat):
    response = post(client, wechat.safe(text_xml("你好", 2006)))
    assert response.status_code == 400


# -- every message type and event -------------------------------------------------------


def reply_to(client, wechat, xml):
    response = post(client, wechat.plain(xml))
    assert response.status_code == 200
    if response.data == b"success":
        return None
    return wechat.open_reply(response.data)["Content"]


def test_voice_uses_recognition(client, wechat):
    xml = message_xml(
        {
            "MsgType": "voice",
            "MediaId": "m1",
            "Format": "amr",
            "Recognition": "盐一天吃几克",
            "MsgId": 3001,
        }
    )
    assert "5克" in reply_to(client, wechat, xml)


def test_voice_without_recognition_asks_to_type(client, wechat):
    xml = message_xml({"MsgType": "voice", "MediaId": "m1", "Format": "amr", "MsgId": 3002})
    assert reply_to(client, wechat, xml) == texts.VOICE_UNRECOGNISED


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"MsgType": "image", "PicUrl": "http://x/y.jpg", "MediaId": "m"}, texts.IMAGE),
        ({"MsgType": "video", "MediaId": "m", "ThumbMediaId": "t"}, texts.VIDEO),
        ({"MsgType": "shortvideo", "MediaId": "m", "ThumbMediaId": "t"}, texts.VIDEO),
        (
            {
                "MsgType": "location",
                "Location_X": 28.6,
                "Location_Y": 115.9,
                "Scale": 15,
                "Label": "某地",
            },
            texts.LOCATION,
        ),
        (
            {"MsgType": "link", "Title": "今天天气不错", "Description": "d", "Url": "http://x"},
            texts.LINK,
        ),
    ],
)
def test_media_gets_a_polite_reply(client, wechat, fields, expected):
    fields = dict(fields, MsgId=hash(fields["MsgType"]) % 100000 + 4000)
    assert reply_to(client, wechat, message_xml(fields)) == expected


def test_forwarded_rumour_article_is_checked_by_title(client, wechat):
    xml = message_xml(
        {
            "MsgType": "link",
            "Title": "紧急扩散！隔夜菜吃了会得癌症",
            "Description": "",
            "Url": "http://x",
            "MsgId": 4100,
        }
    )
    assert "说法不对" in reply_to(client, wechat, xml)


def test_subscribe_gets_the_welcome(client, wechat):
    assert reply_to(client, wechat, event_xml("subscribe")) == texts.WELCOME


def test_scan_gets_the_welcome(client, wechat):
    assert reply_to(client, wechat, event_xml("SCAN", key="123")) == texts.WELCOME


def test_unsubscribe_gets_success(client, wechat):
    assert reply_to(client, wechat, event_xml("unsubscribe")) is None


def test_view_gets_success(client, wechat):
    assert reply_to(client, wechat, event_xml("VIEW", key="https://example.org/")) is None


def test_menu_click_lists_the_topic(client, wechat):
    content = reply_to(client, wechat, event_xml("CLICK", key="TOPIC_FRAUD"))
    assert "防诈骗" in content
    assert "安全账户" in content


def test_unknown_click_key_gets_the_menu(client, wechat):
    assert reply_to(client, wechat, event_xml("CLICK", key="NO_SUCH_KEY")) == texts.MENU


def test_unknown_message_type_gets_success(client, wechat):
    xml = message_xml({"MsgType": "miniprogrampage", "Title": "t", "MsgId": 5001})
    assert reply_to(client, wechat, xml) is None


def test_unknown_event_gets_success(client, wechat):
    assert reply_to(client, wechat, event_xml("some_future_event")) is None


def test_menu_word_gets_the_menu(client, wechat):
    assert ask(client, wechat, "菜单", 5002)["Content"] == texts.MENU


# -- no match ---------------------------------------------------------------------------


def test_out_of_scope_question_gets_the_fallback(client, wechat):
    assert ask(client, wechat, "明天县城下不下雨", 6001)["Content"] == texts.FALLBACK


def test_empty_message_asks_for_a_question(client, wechat):
    assert ask(client, wechat, "   ", 6002)["Content"] == texts.EMPTY


def test_very_long_message_is_answered(client, wechat):
    content = "公安打电话让我转钱到安全账户" + "啊" * 4990
    assert len(content) > 5000
    reply = ask(client, wechat, content, 6003)["Content"]
    assert "96110" in reply
    assert len(reply.encode("utf-8")) <= 2048
