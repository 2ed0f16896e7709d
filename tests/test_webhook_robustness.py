"""Bad input, retries and the usage log: every case answers clearly and loses nothing."""

import base64
import time

import pytest

from bot.chat import texts
from bot.chat.dialogue import Reply
from tests.helpers import ask, post, services_of
from tests.wxclient import Request, event_xml, sign, text_xml


def log_rows(app):
    return list(services_of(app).db().query("select * from messages order by id"))


# -- retries ----------------------------------------------------------------------------


def test_retry_gets_the_same_reply_and_is_logged_once(app, client, wechat):
    xml = text_xml("一天吃多少盐", 7001)
    first = post(client, wechat.plain(xml))
    second = post(client, wechat.plain(xml))  # WeChat signs each delivery afresh
    assert first.status_code == second.status_code == 200
    assert wechat.open_reply(first.data) == wechat.open_reply(second.data)
    assert len(log_rows(app)) == 1


def test_encrypted_retry_gets_the_same_reply(safe_app, wechat):
    client = safe_app.test_client()
    xml = text_xml("一天吃多少盐", 7002)
    first = wechat.open_reply(post(client, wechat.safe(xml)).data)
    second = wechat.open_reply(post(client, wechat.safe(xml)).data)
    assert first == second and "5克" in first["Content"]
    assert len(log_rows(safe_app)) == 1


def test_event_retry_is_deduplicated_by_sender_and_time(app, client, wechat):
    xml = event_xml("subscribe", create_time=1700000000)
    post(client, wechat.plain(xml))
    post(client, wechat.plain(xml))
    other_user = event_xml("subscribe", create_time=1700000000, from_user="oOther")
    post(client, wechat.plain(other_user))
    assert [r["event"] for r in log_rows(app)] == ["subscribe", "subscribe"]


def test_retry_across_two_server_processes_sharing_a_database(make_app, wechat):
    first_app, second_app = make_app(), make_app()
    xml = text_xml("96110是什么电话", 7003)
    one = post(first_app.test_client(), wechat.plain(xml))
    two = post(second_app.test_client(), wechat.plain(xml))
    assert wechat.open_reply(one.data) == wechat.open_reply(two.data)
    assert len(log_rows(first_app)) == 1


def test_retry_while_first_is_still_running_waits_for_its_reply(app, client, wechat):
    from bot.wechat import dedup

    services = services_of(app)
    db = services.db()
    key = f"msg:{services.user_hash('oUser123')}:7004"
    assert dedup.claim(db, key)  # another worker is handling it
    dedup.store_reply(db, key, "")  # ...and has just finished with no reply
    db.conn.commit()
    response = post(client, wechat.plain(text_xml("一天吃多少盐", 7004)))
    assert response.data == b"success"
    assert log_rows(app) == []


def test_claim_left_by_a_dead_worker_is_taken_over(app, client, wechat):
    from bot.wechat import dedup

    services = services_of(app)
    db = services.db()
    key = f"msg:{services.user_hash('oUser123')}:7005"
    assert dedup.claim(db, key)  # the worker died before storing a reply
    started = time.monotonic()
    reply = wechat.open_reply(post(client, wechat.plain(text_xml("一天吃多少盐", 7005))).data)
    assert "5克" in reply["Content"]
    assert time.monotonic() - started < 3
    assert len(log_rows(app)) == 1


# -- bad input --------------------------------------------------------------------------


def test_wrong_signature_is_403(client, wechat):
    request = wechat.plain(text_xml("你好", 8001))
    request.query["signature"] = "0" * 40
    assert post(client, request).status_code == 403


def test_missing_signature_is_403(client):
    response = client.post("/wechat", data=text_xml("你好", 8002))
    assert response.status_code == 403


def test_stale_timestamp_is_403(client, wechat):
    request = wechat.plain(text_xml("你好", 8003), timestamp=int(time.time()) - 3600)
    assert post(client, request).status_code == 403


def test_timestamp_window_is_configurable(make_app, wechat):
    app = make_app(WECHAT_TIMESTAMP_WINDOW=7200)
    request = wechat.plain(text_xml("你好", 8004), timestamp=int(time.time()) - 3600)
    assert post(app.test_client(), request).status_code == 200


def test_oversized_body_is_413(client, wechat):
    body = text_xml("啊" * 30000, 8005)  # 90 kB, over the 64 KiB limit
    response = post(client, wechat.plain(body))
    assert response.status_code == 413
    assert b"Traceback" not in response.data


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>",  # truncated
        "not xml at all",
        "<xml><MsgType><![CDATA[text]]></MsgType></xml>",  # no sender
        "<?xml version='1.0'?><other/>",
        "",
    ],
)
def test_malformed_xml_is_400(client, wechat, body):
    response = post(client, wechat.plain(body))
    assert response.status_code == 400
    assert b"Traceback" not in response.data


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&d;</Content><MsgId>1</MsgId></xml>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_hostile_xml_is_400(client, wechat, body):
    response = post(client, wechat.plain(body))
    assert response.status_code == 400
    assert b"root:" not in response.data


def test_hostile_xml_inside_encryption_is_400(safe_app, wechat):
    response = post(safe_app.test_client(), wechat.safe(EXTERNAL_ENTITY))
    assert response.status_code == 400


def test_control_characters_get_a_polite_reply(client, wechat):
    reply = ask(client, wechat, "一天\x01吃多少\x08盐\x1f", 8006)
    assert "5克" in reply["Content"]


@pytest.mark.parametrize("ciphertext", ["QUJD", base64.b64encode(bytes(range(64))).decode()])
def test_broken_ciphertext_is_400(safe_app, wechat, ciphertext):
    request = wechat.safe(text_xml("你好", 8007))
    request.body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{ciphertext}</Encrypt></xml>"
    request.query["msg_signature"] = sign(
        wechat.token, request.query["timestamp"], request.query["nonce"], ciphertext
    )
    assert post(safe_app.test_client(), request).status_code == 400


def test_non_utf8_body_is_400(client, wechat):
    request = wechat.plain("")
    response = client.post(request.url, data=b"<xml>\xff\xfe</xml>")
    assert response.status_code == 400


# -- the reply itself -------------------------------------------------------------------


def test_reply_text_never_breaks_the_xml(app, client, wechat, monkeypatch):
    tricky = "第一步]]>第二步<script>&amp;"
    services = services_of(app)
    monkeypatch.setattr(
        services.dialogue, "decide", lambda *a, **kw: (Reply(tricky, "answered"), lambda db: None)
    )
    assert ask(client, wechat, "随便", 9001)["Content"] == tricky


def test_reply_never_exceeds_2048_bytes(app, client, wechat, monkeypatch):
    services = services_of(app)
    long_reply = Reply("很长" * 2000, "answered")
    monkeypatch.setattr(services.dialogue, "decide", lambda *a, **kw: (long_reply, lambda db: None))
    content = ask(client, wechat, "随便", 9002)["Content"]
    assert 2000 < len(content.encode("utf-8")) <= 2048


def test_a_crash_in_the_dialogue_gets_an_apology_not_a_trace(app, client, wechat, monkeypatch):
    services = services_of(app)

    def boom(*args, **kw):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(services.dialogue, "decide", boom)
    reply = ask(client, wechat, "随便", 9003)
    assert reply["Content"] == texts.SORRY
    assert log_rows(app)[0]["outcome"] == "error"


# -- the usage log ----------------------------------------------------------------------


def test_each_message_is_logged_with_its_outcome(app, client, wechat):
    ask(client, wechat, "微信怎么视频通话", 9101)
    ask(client, wechat, "明天下雨吗", 9102)
    post(client, wechat.plain(event_xml("subscribe")))
    rows = log_rows(app)
    assert [r["outcome"] for r in rows] == ["answered", "fallback", "greeting"]
    answered = rows[0]
    assert answered["entry_id"] == "wechat/video-call"
    assert answered["category"] == "smartphone"
    assert 0 < answered["score"] <= 1
    assert answered["latency_ms"] > 0
    assert answered["msg_type"] == "text"
    assert answered["user_hash"] != "oUser123" and len(answered["user_hash"]) == 24
    assert "oUser123" not in str(rows)


def test_numbers_are_masked_in_the_log(app, client, wechat):
    ask(client, wechat, "我手机13912345678卡号6222021234567890123被骗了", 9103)
    text = log_rows(app)[0]["text"]
    assert "13912345678" not in text and "6222021234567890123" not in text
    assert "[手机号]" in text and "[银行卡号]" in text


def test_a_failing_log_never_stops_the_reply(app, client, wechat):
    services_of(app).db().execute("drop table messages")
    reply = ask(client, wechat, "一天吃多少盐", 9104)
    assert "5克" in reply["Content"]


def test_unparseable_request_is_never_logged_as_handled(app, client, wechat):
    post(client, Request(wechat.plain("").query, "<xml>"))
    assert log_rows(app) == []


# -- a database that cannot be written ---------------------------------------------------


def test_read_only_database_still_answers_and_logs_the_failure_once(app, client, wechat, caplog):
    import sqlite3

    import sqlite_utils

    services = services_of(app)
    ask(client, wechat, "一天吃多少盐", 7101)  # a working turn first
    writable = services._local.db
    path = services.db_path
    services._local.db = sqlite_utils.Database(
        sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    )
    caplog.set_level("ERROR", logger="bot.services")
    questions = ["96110是什么电话", "一天吃多少盐", "有用"]
    replies = [ask(client, wechat, q, 7102 + n)["Content"] for n, q in enumerate(questions)]
    assert "96110" in replies[0] and "5克" in replies[1]
    assert all(texts.SORRY not in r for r in replies)
    failures = [r for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len(failures) == 1
    services._local.db = writable  # the disk is back: the next turn is stored again
    ask(client, wechat, "96110是什么电话", 7110)
    assert [r["msg_key"].rsplit(":", 1)[1] for r in log_rows(app)] == ["7101", "7110"]
    assert services.storage.failing is False


def test_a_msgid_reused_by_another_sender_is_a_new_message(app, client, wechat):
    mine = ask(client, wechat, "一天吃多少盐", 7201)
    theirs = ask(client, wechat, "96110是什么电话", 7201, from_user="oSomeoneElse")
    assert "5克" in mine["Content"] and "96110" in theirs["Content"]
    assert len(log_rows(app)) == 2


def test_dedup_keys_never_hold_an_openid_or_its_plain_hash(app, client, wechat):
    import hashlib

    ask(client, wechat, "一天吃多少盐", 7202)
    post(client, wechat.plain(event_xml("subscribe")))
    plain_hash = hashlib.sha256(b"oUser123").hexdigest()[:16]
    keys = [r["msg_key"] for r in log_rows(app)]
    stored = [r[0] for r in services_of(app).db().execute("select key from processed_messages")]
    for key in keys + stored:
        assert "oUser123" not in key and plain_hash not in key


def test_state_reply_and_log_row_are_written_together_or_not_at_all(
    app, client, wechat, monkeypatch
):
    """A log row that cannot be written takes the turn's state and stored reply with it
    (one transaction), and the resident still gets the answer."""
    import sqlite3

    from bot import usage

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(usage, "record", disk_full)
    reply = ask(client, wechat, "盐", msg_id=7301)  # a choice: the options are state
    assert reply["Content"]
    db = services_of(app).db()
    assert db.execute("select count(*) from conversations").fetchone()[0] == 0
    assert db.execute("select reply from processed_messages").fetchall() == [(None,)]
    assert log_rows(app) == []
