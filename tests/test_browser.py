"""The staff pages in a real headless Chromium (Debian's `chromium`, driven by Playwright)
against the app served on a free loopback port: what a new editor does, end to end."""

import os
import shutil
import socket
import threading

import pytest
from playwright import sync_api
from werkzeug.serving import make_server

from bot import usage
from tests.conftest import STAFF_PASSWORD, make_user
from tests.helpers import services_of

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}

if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
    raise RuntimeError(f"{CHROMIUM} is missing: `./dev test` installs Debian's chromium")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(make_app):
    """The app behind a real HTTP server in a thread; its index rebuilds in the
    background as in production."""
    app = make_app(INDEX_BACKGROUND=True)
    make_user(app, "wangli", "editor")
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE, locale="zh-CN")
            tab = context.new_page()
            tab.set_default_timeout(30000)  # two test processes share two cores
            yield tab
        finally:
            browser.close()


def log_in(page, base):
    page.goto(base + "/staff/")
    assert page.url.startswith(base + "/login")
    page.get_by_label("用户名").fill("wangli")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/staff/entries")


def try_it(page, text):
    page.get_by_role("link", name="试一试", exact=True).first.click()
    page.get_by_label("消息").fill(text)
    page.get_by_role("button", name="发送").click()
    return page.locator("#reply-text").inner_text()


def test_log_in_edit_an_entry_try_it_and_undo(live_server, page, tmp_path):
    app, base = live_server
    log_in(page, base)
    page.get_by_label("搜索（问题、问法、回答或编号里的字）").fill("字太小")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="手机字太小，怎么调大？").click()
    page.get_by_role("link", name="修改", exact=True).click()

    answer = page.get_by_label("回答")
    answer.fill("x" * 1900)
    page.locator("#answer-bytes.over").wait_for()  # the size shows as the editor types
    page.locator("#live-problems").get_by_text("回答太长").wait_for()
    answer.fill("打开“设置”，点“显示”，点“字体大小”，把滑块拖到最右边。")
    page.locator("#live-problems").wait_for(state="hidden")
    page.screenshot(path=str(tmp_path / "edit.png"))
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存").wait_for()

    reply = try_it(page, "手机上的字咋弄大点")
    assert reply.startswith("打开“设置”，点“显示”，点“字体大小”，把滑块拖到最右边。")
    assert page.locator("#matched").inner_text() == "手机字太小，怎么调大？"
    page.screenshot(path=str(tmp_path / "try.png"))

    # The history shows the change and takes it back.
    page.locator("#matched").click()
    assert page.locator("#history .diff .add").first.inner_text().startswith("打开“设置”")
    page.get_by_role("button", name="回退到这个版本").first.click()
    page.get_by_text("已回退到那个版本").wait_for()
    assert try_it(page, "手机上的字咋弄大点").startswith("不同手机位置略有不同")


def test_turn_an_unanswered_question_into_an_entry(live_server, page, tmp_path):
    app, base = live_server
    db = services_of(app).db()
    for _ in range(2):
        usage.record(
            db,
            hash_key="test-secret",
            user="resident",
            msg_type="text",
            text="<b>微信红包</b>怎么收<script>document.title='x'</script>",
            outcome="fallback",
        )
    db.conn.commit()
    log_in(page, base)
    page.get_by_role("link", name="待处理问题").click()
    group = page.locator("section.group").first
    assert "<script>" in group.locator("h2").inner_text()  # shown as text, never run
    assert page.title() != "x"
    page.screenshot(path=str(tmp_path / "review.png"))
    group.get_by_role("button", name="用它写一条新条目").click()

    page.get_by_label("编号").fill("wechat/red-packet")
    page.get_by_label("分类").select_option("smartphone")
    page.get_by_label("标题问题").fill("微信红包怎么收？")
    page.get_by_label("其他问法").fill(
        "孙子发的红包咋收\n红包怎么拆\n微信红包在哪领\n领红包要密码吗\n红包点了没反应"
    )
    page.get_by_label("回答").fill("点开聊天里的红包，再点“开”，钱就进了零钱。")
    page.get_by_label("来源").fill("微信官方帮助中心")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已新建条目").wait_for()

    assert try_it(page, "孙子发的红包咋收").startswith("点开聊天里的红包")
    page.get_by_role("link", name="待处理问题").click()
    page.get_by_text("现在没有待处理的问题").wait_for()
