"""这条短信是不是骗子？ — a forwarded screenshot over the real webhook: the immediate reply,
then the verdict from the worker through a local stand-in of WeChat's API (which also
serves the pictures), within seconds; pictures too large, not images, or never there."""

import threading
import time

import pytest
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from bot.chat import texts
from tests.conftest import FIXTURE_KB
from tests.helpers import post, services_of
from tests.screens import screenshot
from tests.wxclient import message_xml

SCAM = "【ETC服务】您的ETC卡已失效，请于今日内登录 etc-kf.cc 重新认证，逾期将注销。回复T退订"
ORDINARY = "【中国移动】尊敬的客户，您本月已使用流量2.1GB，剩余流量8.9GB。详情请咨询10086。"
NUMBER = "13912345678"


class StandIn:
    def __init__(self):
        self.sent = []
        api = Flask("wechat-stand-in")
        pictures = {
            "scam.png": screenshot(SCAM),
            "ordinary.png": screenshot(ORDINARY, dark=True),
            "number.png": screenshot(
                f"【XX银行】您的账户存在风险，请联系{NUMBER}处理，点击 bank-safe.top 验证"
            ),
        }

        @api.get("/cgi-bin/token")
        def token():
            return jsonify(access_token="TOKEN", expires_in=7200)

        @api.post("/cgi-bin/message/custom/send")
        def custom():
            self.sent.append(request.get_json(force=True))
            return jsonify(errcode=0, errmsg="ok")

        @api.get("/pics/<name>")
        def picture(name):
            if name == "big.png":
                return Response(b"\x89PNG" + b"0" * (6 * 1024 * 1024), mimetype="image/png")
            if name == "page.html":
                return Response("<html>not a picture</html>", mimetype="text/html")
            if name not in pictures:
                return Response("gone", status=404)
            return Response(pictures[name], mimetype="image/png")

        self.server = make_server("127.0.0.1", 0, api, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.root = f"http://127.0.0.1:{self.server.server_port}"

    def reply_to(self, user, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [m for m in self.sent if m["touser"] == user]
            if found:
                return found[-1]["text"]["content"]
            time.sleep(0.05)
        return None


@pytest.fixture(scope="module")
def stand_in():
    api = StandIn()
    yield api
    api.server.shutdown()


@pytest.fixture(scope="module")
def checked(tmp_path_factory, stand_in):
    from bot import create_app

    app = create_app(
        {
            "BOT_DATABASE": str(tmp_path_factory.mktemp("shots") / "bot.db"),
            "KNOWLEDGE_DIR": FIXTURE_KB,  # with a copy of the labelled messages
            "WECHAT_TOKEN": "test-token",
            "SECRET_KEY": "test-secret",
            "INDEX_BACKGROUND": False,
            "SCREENSHOTS": True,
            "WECHAT_APPID": "wxshots",
            "WECHAT_SECRET": "s3cret",
            "WECHAT_API_BASE": stand_in.root + "/cgi-bin/",
        }
    )
    services = services_of(app)
    workers = [services.outbox_worker(poll=0.05), services.screenshot_worker(poll=0.05)]
    yield app
    for worker in workers:
        worker.stop()


ids = iter(range(95_000, 96_000))


def send_picture(app, wechat, user, name, stand_in):
    fields = {
        "MsgType": "image",
        "PicUrl": f"{stand_in.root}/pics/{name}",
        "MediaId": "m1",
        "MsgId": next(ids),
    }
    response = post(app.test_client(), wechat.plain(message_xml(fields, from_user=user)))
    return wechat.open_reply(response.data)["Content"]


def test_a_scam_screenshot_gets_a_verdict_within_seconds(checked, wechat, stand_in):
    started = time.monotonic()
    assert (
        send_picture(checked, wechat, "oShotScam", "scam.png", stand_in)
        == texts.SCREENSHOT_RECEIVED
    )
    verdict = stand_in.reply_to("oShotScam")
    assert verdict is not None and time.monotonic() - started < 10
    assert verdict.startswith("【看过了】这很可能是诈骗") and "ETC" in verdict


def test_an_ordinary_notice_is_called_ordinary_with_the_usual_caution(checked, wechat, stand_in):
    send_picture(checked, wechat, "oShotPlain", "ordinary.png", stand_in)
    verdict = stand_in.reply_to("oShotPlain")
    assert verdict == texts.SCREENSHOT_ORDINARY


@pytest.mark.parametrize("name", ["big.png", "page.html", "missing.png"])
def test_a_picture_that_cannot_be_had_gets_a_clear_answer(checked, wechat, stand_in, name):
    user = f"oShot-{name}"
    send_picture(checked, wechat, user, name, stand_in)
    assert stand_in.reply_to(user) == texts.SCREENSHOT_FAILED


def test_numbers_are_never_echoed_or_stored_and_the_picture_is_not_kept(checked, wechat, stand_in):
    import sqlite3
    from pathlib import Path

    send_picture(checked, wechat, "oShotNumber", "number.png", stand_in)
    verdict = stand_in.reply_to("oShotNumber")
    assert verdict is not None and NUMBER not in verdict
    db_path = Path(services_of(checked).db_path)
    time.sleep(0.2)
    conn = sqlite3.connect(db_path)
    dump = "\n".join(conn.iterdump())
    checks = conn.execute("select verdict, kind, text from screenshot_checks").fetchall()
    conn.close()
    assert NUMBER not in dump and "/pics/number.png" not in dump
    assert any(v == "scam" and "[手机号]" in t for v, _, t in checks)


def test_coordinators_see_checks_by_verdict(checked, wechat, stand_in):
    from bot.reports import queries

    send_picture(checked, wechat, "oShotReport", "scam.png", stand_in)
    assert stand_in.reply_to("oShotReport")
    time.sleep(0.2)
    today = queries.today()
    figures = queries.overview(services_of(checked).db(), today, today)
    assert figures["screenshots"] >= 1 and figures["screenshot_scams"] >= 1
