"""Family guardians over the real webhook, three openids, against a local stand-in of
WeChat's API that records every call: bind with consent, refuse, alert within seconds of a
fraud alarm (never the resident's words), one alert per 10 minutes, the 48-hour window
and the template fallback, retries after an API failure, one token for two workers."""

import re
import threading
import time

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from bot.chat import texts
from bot.chat.dialogue import Message
from tests import evalset
from tests.helpers import ask, services_of

RESIDENT, CHILD, VOLUNTEER = "oGrandma", "oSonInShenzhen", "oVillageVolunteer"
SCAM = "警察打电话说我涉嫌洗钱 让我把钱转到安全账户"
ALERTED = "可能遇到了诈骗"


class StandIn:
    """WeChat's API on a loopback port: every call kept; failures on request."""

    def __init__(self):
        self.calls = []
        self.fail_next = 0
        api = Flask("wechat-api-stand-in")

        @api.get("/cgi-bin/token")
        def token():
            self.calls.append(("token", dict(request.args)))
            return jsonify(access_token=f"TOKEN{len(self.calls)}", expires_in=7200)

        @api.post("/cgi-bin/message/custom/send")
        def custom():
            return self._message("text")

        @api.post("/cgi-bin/qrcode/create")
        def qrcode():
            body = request.get_json(force=True)
            self.calls.append(("qrcode", body))
            return jsonify(
                ticket="T-" + body["action_info"]["scene"]["scene_str"], expire_seconds=86400
            )

        @api.post("/cgi-bin/message/template/send")
        def template():
            return self._message("template")

        self.server = make_server("127.0.0.1", 0, api, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/"

    def _message(self, kind):
        body = request.get_json(force=True)
        if self.fail_next:
            self.fail_next -= 1
            self.calls.append((kind + "-failed", body))
            return jsonify(errcode=45015, errmsg="response out of time limit")
        self.calls.append((kind, body))
        return jsonify(errcode=0, errmsg="ok", msgid=1)

    def sent(self, kind="text"):
        return [body for k, body in self.calls if k == kind]

    def wait_for(self, predicate, seconds=5):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False


@pytest.fixture
def api():
    stand_in = StandIn()
    yield stand_in
    stand_in.server.shutdown()


@pytest.fixture
def family(make_app, api):
    """The app with guardians on, its outbox worker running against the stand-in."""
    app = make_app(
        GUARDIANS=True,
        WECHAT_APPID="wxguardians",
        WECHAT_SECRET="s3cret",
        WECHAT_API_BASE=api.base,
        GUARDIAN_TEMPLATE_ID="TEMPLATE-1",
    )
    worker = services_of(app).outbox_worker(poll=0.05)
    yield app
    worker.stop()


ids = iter(range(80_000, 90_000))


def say(app, wechat, user, text):
    return ask(app.test_client(), wechat, text, next(ids), from_user=user)["Content"]


def bind(app, wechat, api, guardian=CHILD, name="小明"):
    code = re.search(r"\d{6}", say(app, wechat, RESIDENT, "绑定家人")).group(0)
    assert say(app, wechat, guardian, f"守护 {code} {name}") == texts.GUARDIAN_ASKED
    assert api.wait_for(lambda: any(name in b["text"]["content"] for b in api.sent()))
    reply = say(app, wechat, RESIDENT, "同意")
    if "已经绑定" in reply:  # wait for the "绑定成功" notice to the guardian
        assert api.wait_for(lambda: any("对方已经同意" in b["text"]["content"] for b in api.sent()))
    return reply


def test_bind_with_consent_then_an_alert_within_seconds_without_her_words(family, wechat, api):
    assert "已经绑定" in bind(family, wechat, api)
    consent = [b for b in api.sent() if "想守护您" in b["text"]["content"]]
    assert (
        consent[0]["touser"] == RESIDENT and "小明的微信想守护您" in consent[0]["text"]["content"]
    )
    assert api.wait_for(lambda: any(b["touser"] == CHILD for b in api.sent()))  # 绑定成功
    words = "公安局的人打电话说我涉嫌洗钱 叫我把存款转到安全账户 不要告诉我儿子"
    started = time.monotonic()
    reply = say(family, wechat, RESIDENT, words)
    assert reply.startswith(texts.ALARM + texts.GUARDIAN_TOLD)
    assert api.wait_for(lambda: any("可能遇到了诈骗" in b["text"]["content"] for b in api.sent()))
    elapsed = time.monotonic() - started
    alert = next(b for b in api.sent() if "可能遇到了诈骗" in b["text"]["content"])
    assert alert["touser"] == CHILD and elapsed < 3
    for piece in ("洗钱", "安全账户", "存款", "儿子"):
        assert piece not in alert["text"]["content"]


def test_one_alert_per_ten_minutes(family, wechat, api):
    bind(family, wechat, api)
    say(family, wechat, RESIDENT, SCAM)
    assert api.wait_for(
        lambda: len([b for b in api.sent() if ALERTED in b["text"]["content"]]) == 1
    )
    second = say(family, wechat, RESIDENT, "现在他又叫我下载一个软件开屏幕共享 还要转钱到安全账户")
    assert texts.GUARDIAN_TOLD not in second
    time.sleep(0.5)
    assert len([b for b in api.sent() if ALERTED in b["text"]["content"]]) == 1


def test_refusal_binds_nothing_and_a_wrong_code_says_nothing_more(family, wechat, api):
    code = re.search(r"\d{6}", say(family, wechat, RESIDENT, "绑定家人")).group(0)
    wrong = "000000" if code != "000000" else "111111"
    assert say(family, wechat, VOLUNTEER, f"守护 {wrong}") == texts.GUARDIAN_CODE_WRONG
    say(family, wechat, VOLUNTEER, f"守护 {code} 村里小王")
    assert say(family, wechat, RESIDENT, "不同意") == texts.GUARDIAN_REFUSED
    assert say(family, wechat, VOLUNTEER, f"守护 {code}") == texts.GUARDIAN_CODE_WRONG  # used
    say(family, wechat, RESIDENT, SCAM)
    time.sleep(0.5)
    assert not [b for b in api.sent() if ALERTED in b["text"]["content"]]
    for _ in range(6):
        say(family, wechat, VOLUNTEER, "守护 123123")
    assert say(family, wechat, VOLUNTEER, "守护 123123") == texts.GUARDIAN_TOO_MANY_TRIES


def test_unbinding_tells_what_it_ends_and_stops_alerts(family, wechat, api):
    bind(family, wechat, api)
    assert "您守护着 1 位家人" in say(family, wechat, CHILD, "我守护的家人")
    assert "不会再提醒小明" in say(family, wechat, RESIDENT, "解除绑定")
    assert api.wait_for(lambda: any("解除了绑定" in b["text"]["content"] for b in api.sent()))
    say(family, wechat, RESIDENT, SCAM)
    time.sleep(0.5)
    assert not [b for b in api.sent() if ALERTED in b["text"]["content"]]


def test_outside_the_48_hour_window_an_alert_goes_as_a_template(family, wechat, api):
    bind(family, wechat, api)
    db = services_of(family).db()
    guardian = services_of(family).user_hash(CHILD)
    db.execute(
        "update messages set ts = '2020-01-01T00:00:00+00:00' where user_hash = ?", [guardian]
    )
    db.conn.commit()
    say(family, wechat, RESIDENT, "人工")
    assert api.wait_for(lambda: api.sent("template"))
    template = api.sent("template")[-1]
    assert template["touser"] == CHILD and template["template_id"] == "TEMPLATE-1"
    assert "想找人帮忙" in template["data"]["first"]["value"]


def test_an_api_failure_is_retried_and_recorded(family, wechat, api):
    bind(family, wechat, api)
    api.fail_next = 1
    say(family, wechat, RESIDENT, SCAM)
    assert api.wait_for(lambda: any(k == "text-failed" for k, _ in api.calls))
    assert api.wait_for(lambda: any(ALERTED in b["text"]["content"] for b in api.sent()), 10)
    db = services_of(family).db()
    row = db.execute(
        "select status, attempts, last_error from outbox where purpose = 'alert'"
    ).fetchone()
    assert row[0] == "sent" and row[1] == 2 and "45015" in row[2]


def test_two_workers_share_one_access_token(family, make_app, wechat, api):
    other = make_app(
        GUARDIANS=True, WECHAT_APPID="wxguardians", WECHAT_SECRET="s3cret", WECHAT_API_BASE=api.base
    )
    clients = [
        services_of(family).api_client(),
        services_of(other).api_client(),
    ]
    assert clients[0].access_token == clients[1].access_token
    assert len([c for c in api.calls if c[0] == "token"]) == 1


def test_no_openid_is_stored_readable(family, wechat, api):
    import sqlite3
    from pathlib import Path

    bind(family, wechat, api)
    say(family, wechat, RESIDENT, SCAM)
    api.wait_for(lambda: any(ALERTED in b["text"]["content"] for b in api.sent()))
    path = Path(services_of(family).db_path)
    conn = sqlite3.connect(path)
    dump = "\n".join(conn.iterdump())
    conn.close()
    for openid in (RESIDENT, CHILD):
        assert openid not in dump
    assert "验证码发给他" not in "".join(b["text"]["content"] for b in api.sent())


def test_with_guardians_off_nothing_changes(app, wechat):
    reply = ask(app.test_client(), wechat, "绑定家人", 89_999)["Content"]
    assert "守护码" not in reply


def test_coordinators_see_counts_only(family, wechat, api):
    from bot.reports import queries

    bind(family, wechat, api)
    say(family, wechat, RESIDENT, SCAM)
    api.wait_for(lambda: any(ALERTED in b["text"]["content"] for b in api.sent()))
    today = queries.today()
    figures = queries.overview(services_of(family).db(), today, today)
    assert figures["guardian_bindings"] == 1 and figures["guardian_alerts"] == 1
    assert figures["guardian_failed"] == 0


def test_the_code_comes_with_a_qr_code_and_a_scan_binds_like_the_code(family, wechat, api):
    from tests.wxclient import event_xml

    code = re.search(r"\d{6}", say(family, wechat, RESIDENT, "绑定家人")).group(0)
    assert api.wait_for(lambda: any("showqrcode" in b["text"]["content"] for b in api.sent()))
    assert any(
        k == "qrcode" and b["action_info"]["scene"]["scene_str"] == f"guard_{code}"
        for k, b in api.calls
    )
    xml = event_xml("subscribe", key=f"qrscene_guard_{code}", from_user=VOLUNTEER)
    from tests.helpers import post

    reply = wechat.open_reply(post(family.test_client(), wechat.plain(xml)).data)["Content"]
    assert reply == texts.GUARDIAN_ASKED
    assert api.wait_for(
        lambda: any("您的家人的微信想守护您" in b["text"]["content"] for b in api.sent())
    )


def test_only_a_possible_command_opens_the_guardian_transaction(family, wechat, api):
    """The pure check that lets other messages skip the guardian transaction never
    turns away a message `reply` answers: tried on questions and on every command, with
    a guardian bound and another's request pending, each reply's writes rolled back."""

    bind(family, wechat, api)
    code = re.search(r"\d{6}", say(family, wechat, RESIDENT, "绑定家人")).group(0)
    assert say(family, wechat, VOLUNTEER, f"守护 {code} 李姐") == texts.GUARDIAN_ASKED
    services = services_of(family)
    guardians, db = services.guardians, services.db()
    sayings = [q for _, q in evalset.load()][:300] + [SCAM, "好的 谢谢"]
    commands = ["绑定家人", f"守护 {code} 小明", "同意", "不同意", "解除绑定", "我守护的家人"]
    commands += ["转告 晚上回家吃饭", "亲情守护", f"守护{code}"]
    answered = set()
    for user in (RESIDENT, CHILD):
        for text in sayings + commands:
            message = Message(user=user, kind="text", text=text)
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                reply = guardians.reply(db, user, services.user_hash(user), message)
            finally:
                db.conn.rollback()
            if reply is not None:
                answered.add(text)
                assert guardians.may_be_command(message), text
    assert set(commands) <= answered
    assert not any(guardians.may_be_command(Message(RESIDENT, "text", q)) for q in sayings)
