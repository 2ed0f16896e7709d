"""The conversation over the real webhook: menus, choices, alarms, paging, a person,
feedback and small talk, with state in the database shared by server processes."""

import json
import sqlite3
import threading

import pytest
from werkzeug.serving import make_server

from bot.chat import texts
from bot.chat.dialogue import CHOICE_SECONDS, choice_number, paginate
from tests.conftest import Clock
from tests.helpers import Chat, message_ids, post, services_of
from tests.wxclient import text_xml


@pytest.fixture
def app(make_app):
    """The fixture knowledge base has two close entries (care mode on / off); a wider
    choice margin than the service's makes them a numbered choice, to test choices."""
    return make_app(CHOICE_MARGIN=0.05)


@pytest.fixture
def chat(app, wechat):
    return Chat(wechat, app)


def rows(app, sql, *args):
    return list(services_of(app).db().query(sql, args))


def option_lines(reply):
    return [line for line in reply.splitlines() if line[:1].isdigit() and ". " in line]


# -- welcome, menu, topics ----------------------------------------------------------------


def test_welcome_says_what_to_ask_and_how(chat):
    reply = chat.event("subscribe")
    assert reply == texts.WELCOME
    assert "1 手机和微信" in reply and "人工" in reply


@pytest.mark.parametrize("word", ["菜单", "帮助", "你好", "在吗？"])
def test_menu_words_show_the_menu(chat, word):
    assert chat.say(word) == texts.MENU


def test_menu_number_lists_the_topic_then_a_number_answers(chat):
    chat.say("菜单")
    listing = chat.say("2")
    assert "【防诈骗】" in listing
    first = option_lines(listing)[0]
    assert "安全账户" in first  # the only fraud entry question in the fixture
    answer = chat.say("1")
    assert "96110" in answer and texts.FOOTER in answer


def test_menu_click_lists_the_topic_and_an_ordinal_answers(chat):
    listing = chat.event("CLICK", key="TOPIC_PHONE")
    assert "【手机和微信】" in listing
    options = option_lines(listing)
    assert len(options) >= 2
    second_question = options[1].split(". ", 1)[1]
    answer = chat.say("第二个")
    assert answer.endswith(texts.FOOTER)
    assert second_question not in answer  # the answer, not the list again


def test_topics_list_the_most_asked_first(app, wechat):
    asker = Chat(wechat, app, user="oAsker")
    for _ in range(3):
        asker.say("微信关怀模式怎么关掉")
    listing = Chat(wechat, app, user="oOther").event("CLICK", key="TOPIC_PHONE")
    assert option_lines(listing)[0] == "1. 微信关怀模式怎么关掉？"


def test_help_and_human_menu_keys(chat):
    assert chat.event("CLICK", key="HELP") == texts.MENU
    assert chat.event("CLICK", key="HUMAN") == texts.HUMAN_NO_CONTACT


# -- choices ------------------------------------------------------------------------------


def test_close_entries_become_a_numbered_choice(app, chat):
    reply = chat.say("微信关怀模式")
    assert reply.startswith("您问的是哪一个")
    options = option_lines(reply)
    assert {o.split(". ", 1)[1] for o in options} >= {
        "微信关怀模式怎么打开？",
        "微信关怀模式怎么关掉？",
    }
    pick = next(i for i, o in enumerate(options, 1) if "关掉" in o)
    answer = chat.say(str(pick))
    assert "点“关闭”" in answer
    assert rows(app, "select outcome from messages order by id")[-2:] == [
        {"outcome": "choice"},
        {"outcome": "answered"},
    ]


def test_a_number_out_of_range_asks_again(chat):
    chat.say("微信关怀模式")
    assert chat.say("5").startswith("请回复 1、2")
    assert "点“" in chat.say("1")


def test_pending_choice_never_captures_an_unrelated_question(chat):
    chat.say("微信关怀模式")
    reply = chat.say("一天吃多少盐")
    assert "5克" in reply
    assert chat.say("2").startswith("【防诈骗】")  # "2" is the menu again, not a choice


def test_pending_choice_expires(app, chat):
    clock = Clock()
    services_of(app).dialogue.clock = clock
    assert chat.say("微信关怀模式").startswith("您问的是哪一个")
    clock.advance(CHOICE_SECONDS + 1)
    assert chat.say("1") == texts.CHOICE_GONE
    assert chat.say("1").startswith("【手机和微信】")  # after that, 1 is the menu again


@pytest.mark.parametrize(
    "text, number",
    [
        ("2", 2),
        ("２", 2),
        ("第二个", 2),
        ("第2个", 2),
        ("选3", 3),
        ("三", 3),
        ("1号", 1),
        ("二维码", None),
        ("12", None),
        ("第二个问题怎么弄", None),
    ],
)
def test_choice_numbers(text, number):
    assert choice_number(text) == number


# -- fraud happening now ------------------------------------------------------------------


def test_scam_in_progress_gets_the_alarm_first_then_the_entry(app, chat):
    reply = chat.say("警察打电话说我涉嫌洗钱 让我把钱转到安全账户")
    assert reply.startswith(texts.ALARM)
    assert "110" in reply and "96110" in reply
    row = rows(app, "select outcome, alarm, entry_id from messages")[-1]
    assert row == {"outcome": "answered", "alarm": 1, "entry_id": "fraud/fake-police"}


def test_alarm_without_a_matching_entry_still_alarms(app, chat):
    reply = chat.say("客服叫我下载会议软件开屏幕共享 现在正在弄")
    assert reply.startswith(texts.ALARM)
    assert rows(app, "select alarm from messages")[-1] == {"alarm": 1}


def test_calm_question_about_fraud_gets_no_alarm(app, chat):
    reply = chat.say("96110是什么电话")
    assert not reply.startswith(texts.ALARM)
    assert rows(app, "select alarm from messages")[-1] == {"alarm": 0}


# -- long answers -------------------------------------------------------------------------


def test_long_answer_is_paged_at_step_boundaries(chat):
    first = chat.say("骗子让我转钱到安全账户 我现在一步步咋办")
    assert first.startswith(texts.ALARM) and first.endswith(texts.MORE)
    assert len(first.encode("utf-8")) <= 2048
    last_step = [line for line in first.splitlines() if line.strip()[:1].isdigit()][-1]
    assert last_step.strip().endswith("。")  # cut between steps, not inside one
    second = chat.say("继续")
    assert second.strip().startswith(tuple("0123456789")) and second.endswith(texts.FOOTER)
    assert chat.say("下一页") == texts.NO_MORE


def test_paginate_keeps_lines_whole():
    text = "\n".join(f"{i}. " + "步骤内容" * 20 for i in range(1, 12))
    pages = paginate(text, limit=700)
    assert len(pages) > 2
    assert all(len(p.encode("utf-8")) <= 700 for p in pages)
    assert "\n".join(pages) == text


# -- a person -----------------------------------------------------------------------------


def test_human_transfer_when_enabled(make_app, wechat):
    app = make_app(HUMAN_TRANSFER=True)
    response = post(app.test_client(), wechat.plain(text_xml("人工", next(message_ids))))
    assert wechat.open_reply(response.data)["MsgType"] == "transfer_customer_service"


def test_human_gives_the_configured_hours_and_number(make_app, wechat):
    app = make_app(SERVICE_HOURS="工作日 8:30-17:30", SERVICE_PHONE="0797-0000000")
    reply = Chat(wechat, app).say("找人")
    assert "工作日 8:30-17:30" in reply and "0797-0000000" in reply


def test_human_without_settings_invents_no_number(chat):
    reply = chat.say("客服")
    assert reply == texts.HUMAN_NO_CONTACT
    assert "0797" not in reply


# -- feedback -----------------------------------------------------------------------------


def test_useless_feedback_is_recorded_for_review(app, chat):
    chat.say("我手机号13912345678 字太小看不清")
    assert chat.say("没用") == texts.THANKS_USELESS
    feedback = rows(app, "select entry_id, useful, question from feedback")
    assert feedback == [
        {"entry_id": "phone/font-size", "useful": 0, "question": "我手机号[手机号] 字太小看不清"}
    ]


def test_useful_feedback_is_recorded(app, chat):
    chat.say("一天吃多少盐")
    assert chat.say("有用") == texts.THANKS_USEFUL
    assert rows(app, "select entry_id, useful from feedback") == [
        {"entry_id": "health/salt", "useful": 1}
    ]


def test_feedback_without_an_answer_is_just_text(app, chat):
    chat.say("没用")
    assert rows(app, "select * from feedback") == []


# -- small talk, out of scope, media ------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind",
    [("谢谢", "thanks"), ("你是谁", "who"), ("你吃饭了吗？", "meal"), ("再见", "bye")],
)
def test_small_talk_gets_a_friendly_reply(chat, text, kind):
    assert chat.say(text) == texts.SMALL_TALK[kind]


def test_out_of_scope_gets_a_kind_decline_with_the_way_to_the_menu(chat):
    reply = chat.say("明天镇上赶集几点开始")
    assert reply == texts.FALLBACK and "菜单" in reply


def test_screenshot_gets_describe_it_and_the_fraud_line(chat):
    reply = chat.send({"MsgType": "image", "PicUrl": "http://x/y.jpg", "MediaId": "m"})
    assert "文字" in reply and "96110" in reply


def test_voice_goes_through_the_same_dialogue(chat):
    reply = chat.send(
        {
            "MsgType": "voice",
            "MediaId": "m",
            "Format": "amr",
            "Recognition": "警察叫我把存款转到安全账户。",
        }
    )
    assert reply.startswith(texts.ALARM)


def test_reply_never_echoes_personal_numbers(app, chat, monkeypatch):
    chat.say("微信关怀模式 我身份证号是360102199001011234")
    reply = chat.say("一天吃多少盐 我卡号6222021234567890123")
    assert "6222021234567890123" not in reply
    stored = "".join(r["state"] for r in rows(app, "select state from conversations"))
    assert "360102199001011234" not in stored


# -- several server processes -------------------------------------------------------------


def test_multi_turn_across_two_server_processes(make_app, wechat):
    first, second = make_app(CHOICE_MARGIN=0.05), make_app(CHOICE_MARGIN=0.05)
    chat = Chat(wechat, first, second)
    assert chat.say("微信关怀模式", via=0).startswith("您问的是哪一个")
    assert "点“" in chat.say("1", via=1)
    assert chat.say("没用", via=0) == texts.THANKS_USELESS
    paging = Chat(wechat, first, second, user="oPagingUser")  # the footer is asked once
    assert paging.say("骗子让我转钱到安全账户 我现在一步步咋办", via=1).endswith(texts.MORE)
    assert paging.say("继续", via=0).endswith(texts.FOOTER)
    feedback = rows(first, "select useful from feedback")
    assert feedback == [{"useful": 0}]


def test_multi_turn_across_real_server_processes(tmp_path, wechat):
    """Two separate gunicorn workers, one database file: a choice made on one is
    answered by the other."""
    import requests

    from tests.servers import running

    with running(tmp_path, CHOICE_MARGIN="0.05") as (base, database, _):
        url = base + "/wechat"
        plain = type(wechat)(wechat.token)
        replies = []
        for text in ["微信关怀模式", "2", "没用"] + ["一天吃多少盐"] * 4 + ["有用"]:
            request = plain.plain(text_xml(text, next(message_ids), from_user="oRealUser"))
            response = requests.post(
                url, params=request.query, data=request.body.encode(), timeout=5
            )
            replies.append(plain.open_reply(response.content)["Content"])
        assert replies[0].startswith("您问的是哪一个")
        assert "点“" in replies[1] and replies[2] == texts.THANKS_USELESS
        with sqlite3.connect(database) as conn:
            useful = conn.execute("select useful from feedback order by id").fetchall()
            pids = conn.execute("select count(*) from messages").fetchone()[0]
        assert useful == [(0,), (1,)] and pids == len(replies)


# -- the custom menu ----------------------------------------------------------------------


def test_menu_install_sends_the_menu_through_the_api(app, tmp_path):
    from flask import Flask, jsonify, request

    seen = {}
    api = Flask(__name__)  # a stand-in for WeChat's API

    @api.get("/cgi-bin/token")
    def token():
        seen["token"] = dict(request.args)
        return jsonify(access_token="ACCESS", expires_in=7200)

    @api.post("/cgi-bin/menu/create")
    def create():
        seen["create"] = (request.args.get("access_token"), request.get_json(force=True))
        return jsonify(errcode=0, errmsg="ok")

    server = make_server("127.0.0.1", 0, api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app.config.update(
            WECHAT_APPID="wxappid",
            WECHAT_SECRET="s3cret",
            WECHAT_API_BASE=f"http://127.0.0.1:{server.server_port}/cgi-bin/",
            KNOWLEDGE_DIR="knowledge",
        )
        result = app.test_cli_runner().invoke(args=["menu", "install"])
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    assert seen["token"]["appid"] == "wxappid" and seen["token"]["secret"] == "s3cret"
    token_used, menu = seen["create"]
    assert token_used == "ACCESS"
    with open("knowledge/menu.json", encoding="utf-8") as handle:
        assert menu == json.load(handle)
    keys = {b.get("key") for top in menu["button"] for b in [top, *top.get("sub_button", [])]}
    assert {"TOPIC_PHONE", "TOPIC_FRAUD", "TOPIC_HEALTH", "HUMAN", "HELP"} <= keys


def test_menu_install_needs_the_secret(app):
    result = app.test_cli_runner().invoke(args=["menu", "install"])
    assert result.exit_code != 0 and "WECHAT_SECRET" in result.output
