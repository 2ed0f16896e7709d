"""Staff pages through the Flask test client: access rules for every route, CSRF on
every form, entries (list, create, edit, retire, history, roll back) and Try it."""

import json
import re

import pytest

from bot.kb import entries as knowledge
from tests.conftest import csrf_token, login, make_user, post_form
from tests.helpers import answer_for, edit_form

ENTRY = "phone/font-size"
SAMPLE_ARGS = {"entry_id": ENTRY, "revision_id": 1, "name": "someone"}
ADMIN_ONLY = ("staff.users", "staff.add_user", "staff.change_user")


def staff_routes(app):
    """(url, method, endpoint) for every route of the staff blueprint."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff."):
            url = rule.rule
            for name in rule.arguments:
                url = re.sub(rf"<(?:\w+:)?{name}>", str(SAMPLE_ARGS[name]), url)
            for method in sorted(rule.methods & {"GET", "POST"}):
                found.append((url, method, rule.endpoint))
    return found


def test_the_staff_blueprint_has_the_pages_the_issue_asks_for(app):
    endpoints = {endpoint for _, _, endpoint in staff_routes(app)}
    for needed in (
        "staff.entries",
        "staff.create_entry",
        "staff.save_entry",
        "staff.change_status",
        "staff.rollback",
        "staff.review",
        "staff.review_add_phrasing",
        "staff.review_dismiss",
        "staff.try_it_send",
        "staff.sync_import",
        "staff.sync_export",
        *ADMIN_ONLY,
    ):
        assert needed in endpoints


def test_every_staff_route_refuses_an_anonymous_user(app, client):
    for url, method, _ in staff_routes(app):
        if method == "GET":
            response = client.get(url)
        else:  # a valid token, so that it is the login check that refuses
            response = client.post(url, data={"csrf_token": csrf_token(client)})
        assert response.status_code == 302, (method, url)
        assert response.location.startswith("/login?next="), (method, url)


def test_every_staff_route_refuses_a_wrong_role(app, logged_in_client):
    viewer = logged_in_client("viewer")
    editor = logged_in_client("editor")
    for url, method, endpoint in staff_routes(app):
        if endpoint == "staff.home":
            continue  # every role has a home page
        clients = [viewer] + ([editor] if endpoint in ADMIN_ONLY else [])
        for client in clients:
            response = client.get(url) if method == "GET" else post_form(client, url)
            assert response.status_code == 403, (method, url, endpoint)
            assert "没有权限" in response.get_data(as_text=True)


def test_every_staff_form_without_its_csrf_token_is_refused(app, logged_in_client, db):
    admin = logged_in_client("admin")
    before = knowledge.kb_version(db)
    for url, method, _ in staff_routes(app):
        if method != "POST":
            continue
        response = admin.post(url, data={"status": "retired", "action": "disable", "text": "x"})
        assert response.status_code == 400, url
        assert "页面已过期" in response.get_data(as_text=True)
    assert knowledge.kb_version(db) == before
    assert knowledge.get_row(db, ENTRY)["status"] == "active"


# --- entries ----------------------------------------------------------------------------


@pytest.fixture
def editor(logged_in_client):
    return logged_in_client("editor", name="wangli")


def entry_form(**changes):
    form = {
        "id": "wechat/red-packet",
        "category": "smartphone",
        "question": "微信红包怎么领取？",
        "phrasings": "\n".join(
            [
                "孙子发的红包咋收",
                "红包点了没反应",
                "怎么拆红包",
                "微信里的红包在哪领",
                "领红包要密码吗",
            ]
        ),
        "answer": "1. 打开聊天窗口。\n2. 点红包。\n3. 点“开”。钱就到零钱里了。",
        "source": "微信官方帮助中心",
        "reviewed": "2026-11-28",
    }
    form.update(changes)
    return form


def test_entry_list_searches_and_filters_by_category(editor):
    page = editor.get("/staff/entries?q=视频").get_data(as_text=True)
    assert "wechat/video-call" in page
    assert "health/salt" not in page
    page = editor.get("/staff/entries?category=health").get_data(as_text=True)
    assert "health/salt" in page
    assert "wechat/video-call" not in page
    page = editor.get("/staff/entries?q=没有这种字的条目").get_data(as_text=True)
    assert "没有找到符合条件的条目" in page


def test_create_entry_is_recorded_and_answered_by_the_bot(app, editor, db):
    before = knowledge.kb_version(db)
    response = post_form(editor, "/staff/entries/new", entry_form())
    assert response.status_code == 302
    assert response.location == "/staff/entry/wechat/red-packet"
    row = knowledge.get_row(db, "wechat/red-packet")
    assert row["updated_by"] == "wangli"
    assert row["origin_file"] == "wechat.yaml"
    assert knowledge.kb_version(db) > before
    page = editor.get("/staff/entry/wechat/red-packet").get_data(as_text=True)
    assert "新建" in page and "wangli" in page
    reply = answer_for(app, "孙子发的红包咋收", "wechat/red-packet")
    assert reply.entry_id == "wechat/red-packet"
    assert "点“开”" in reply.text


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"phrasings": "只有一句"}, "至少要写 5 种不同的问法，现在有 1 种"),
        ({"answer": "很长的回答。" * 120}, "回答太长：现在 2160 字节，最多 1800 字节"),
        ({"id": "Bad Id"}, "编号要像 phone/font-size 这样"),
        ({"id": "phone/font-size"}, "这个编号已经有了"),
        ({"category": ""}, "请选择一个分类"),
        ({"reviewed": "昨天"}, "审核日期要写成 2026-11-28 这样"),
        ({"source": " "}, "这一项不能空着"),
    ],
)
def test_create_refuses_what_the_kb_check_refuses_in_chinese(editor, db, changes, message):
    response = post_form(editor, "/staff/entries/new", entry_form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "还不能保存" in page
    if changes.get("id") != "phone/font-size":
        assert knowledge.get_row(db, entry_form(**changes)["id"].lower()) is None


def test_create_refuses_a_near_duplicate_of_an_existing_entry(editor, db):
    salt = knowledge.get_row(db, "health/salt")
    copy = entry_form(
        id="health/salt-again",
        category="health",
        question=salt["question"],
        phrasings="\n".join(json.loads(salt["phrasings"])),
    )
    response = post_form(editor, "/staff/entries/new", copy)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "太像了" in page and "health/salt" in page
    assert knowledge.get_row(db, "health/salt-again") is None


def test_the_form_checks_itself_as_the_editor_types(editor):
    response = post_form(
        editor,
        "/staff/entries/check",
        entry_form(is_new="1", phrasings="一\n二", answer="字" * 700),
    )
    data = response.get_json()
    assert data["answer_bytes"] == 2100
    assert data["limit"] == 1800
    fields = {p["field"] for p in data["problems"]}
    assert fields == {"phrasings", "answer"}
    response = post_form(editor, "/staff/entries/check", entry_form(is_new="1"))
    assert response.get_json()["problems"] == []


def test_edit_shows_the_difference_and_rolls_back(app, editor, db):
    form = edit_form(editor, ENTRY)
    old_answer = knowledge.get_row(db, ENTRY)["answer"]
    assert form["answer"] == old_answer
    form["answer"] = "打开“设置”，点“显示”，再点“字体大小”，往右拖到最大。"
    response = editor.post(f"/staff/entry/{ENTRY}/edit", data=form)
    assert response.status_code == 302
    row = knowledge.get_row(db, ENTRY)
    assert row["answer"] == form["answer"]
    assert row["updated_by"] == "wangli"
    new = answer_for(app, "手机字太小怎么调大", ENTRY, starts="打开“设置”，点“显示”")
    assert new.text.startswith("打开“设置”，点“显示”")

    page = editor.get(f"/staff/entry/{ENTRY}").get_data(as_text=True)
    assert '<li class="add">打开“设置”，点“显示”，再点“字体大小”，往右拖到最大。</li>' in page
    assert '<li class="del">1. 打开“设置”。</li>' in page
    assert "从文件导入" in page  # the imported version was kept before the first change
    first = db.execute(
        "select id from revisions where entry_id = ? order by id limit 1", [ENTRY]
    ).fetchone()[0]
    response = post_form(editor, f"/staff/entry/{ENTRY}/rollback/{first}")
    assert response.status_code == 302
    assert knowledge.get_row(db, ENTRY)["answer"] == old_answer
    actions = [r[0] for r in db.execute("select action from revisions where entry_id = ?", [ENTRY])]
    assert actions == ["import", "edit", "rollback"]
    assert answer_for(app, "手机字太小怎么调大", ENTRY, starts=old_answer).text.startswith(
        old_answer
    )


def test_an_edit_over_someone_elses_newer_save_is_refused(editor, logged_in_client, db):
    stale = edit_form(editor, ENTRY)
    other = logged_in_client("editor", name="zhaomin")
    fresh = edit_form(other, ENTRY)
    fresh["answer"] += "\n还可以用放大镜功能。"
    assert other.post(f"/staff/entry/{ENTRY}/edit", data=fresh).status_code == 302
    stale["answer"] = "覆盖别人的改动"
    response = editor.post(f"/staff/entry/{ENTRY}/edit", data=stale)
    assert response.status_code == 409
    assert "别人在您打开这一页之后改过" in response.get_data(as_text=True)
    assert knowledge.get_row(db, ENTRY)["answer"].endswith("还可以用放大镜功能。")


def test_retire_stops_the_answer_and_restore_brings_it_back(app, editor, db):
    assert answer_for(app, "每天盐能吃几克", "health/salt").entry_id == "health/salt"
    post_form(editor, "/staff/entry/health/salt/status", {"status": "retired"})
    assert knowledge.get_row(db, "health/salt")["status"] == "retired"
    reply = answer_for(app, "每天盐能吃几克", "never", timeout=1.5)
    assert reply.entry_id != "health/salt"
    page = editor.get("/staff/entries?status=retired").get_data(as_text=True)
    assert "health/salt" in page and "已停用" in page
    post_form(editor, "/staff/entry/health/salt/status", {"status": "active"})
    assert answer_for(app, "每天盐能吃几克", "health/salt").entry_id == "health/salt"


def test_unknown_entry_gets_a_chinese_not_found_page(editor):
    response = editor.get("/staff/entry/nope/nothing")
    assert response.status_code == 404
    assert "找不到这一页" in response.get_data(as_text=True)


# --- try it -----------------------------------------------------------------------------


def test_try_it_shows_reply_entry_score_and_runners_up_without_logging(editor, db):
    response = post_form(editor, "/staff/try", {"text": "怎么和孙子视频"}, page="/staff/try")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "打开微信，点开要通话的人的聊天窗口" in page
    assert 'id="matched" href="/staff/entry/wechat/video-call"' in page
    assert re.search(r'id="score">0\.\d{3}<', page)
    assert "接近的条目" in page
    # 没用 typed in Try it is staff testing, not a resident's judgement.
    post_form(editor, "/staff/try", {"text": "没用"}, page="/staff/try")
    assert db.execute("select count(*) from messages").fetchone()[0] == 0
    assert db.execute("select count(*) from feedback").fetchone()[0] == 0


def test_try_it_shows_a_declined_question(editor):
    response = post_form(editor, "/staff/try", {"text": "火星上的天气怎么样"}, page="/staff/try")
    assert "没答上" in response.get_data(as_text=True)


def test_pages_escape_what_staff_type(editor):
    response = post_form(
        editor, "/staff/try", {"text": "<script>alert(1)</script>"}, page="/staff/try"
    )
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_login_then_staff_page_for_a_new_editor(app):
    make_user(app, "newbie", "editor")
    client = app.test_client()
    assert login(client, "newbie").location == "/staff/entries"
    assert client.get("/staff/review").status_code == 200
    assert client.get("/staff/sync").status_code == 200
