"""The review queue: declined, 没用 and low-score questions, grouped, with actions."""

import datetime
import re

import pytest

from bot import usage
from bot.chat.dialogue import Message
from bot.kb import entries as knowledge
from tests.conftest import post_form
from tests.helpers import answer_for, services_of

HASH_KEY = "test-secret"


def asked(db, text, outcome="fallback", score=0.05, entry_id=None, when=None, user="r1"):
    usage.record(
        db,
        hash_key=HASH_KEY,
        user=user,
        msg_type="text",
        text=text,
        outcome=outcome,
        entry_id=entry_id,
        score=score,
        when=when,
    )
    db.conn.commit()


@pytest.fixture
def editor(logged_in_client):
    return logged_in_client("editor", name="wangli")


@pytest.fixture
def seeded(app, db):
    for _ in range(3):
        asked(db, "孙子发的红包怎么领")
    asked(db, "孙子发的红包怎么领取")
    asked(db, "孙子发的红包怎么领呀")
    asked(db, "医保卡丢了去哪补办")
    asked(db, "村里的宅基地怎么分", outcome="declined")  # out of scope, but staff may add it
    asked(db, "手机字有点小", outcome="answered", score=0.15, entry_id="phone/font-size")
    asked(db, "怎么视频", outcome="answered", score=0.9, entry_id="wechat/video-call")  # confident
    # A resident marks an answer 没用, through the dialogue itself.
    services = services_of(app)
    first = services.respond(Message(user="r2", kind="text", text="一天盐能吃几克"))
    assert first.entry_id == "health/salt"
    assert services.respond(Message(user="r2", kind="text", text="没用")).outcome == "feedback"
    return db


def groups_of(page):
    """(title, count) of each group, in page order."""
    return [
        (html_text, int(n))
        for html_text, n in re.findall(
            r'<h2 class="question">(.*?)</h2>\s*<span class="count">问了 (\d+) 次</span>', page
        )
    ]


def test_queue_groups_similar_questions_most_asked_first(editor, seeded):
    page = editor.get("/staff/review").get_data(as_text=True)
    groups = groups_of(page)
    assert groups[0] == ("孙子发的红包怎么领", 5)
    titles = [title for title, _ in groups]
    assert "医保卡丢了去哪补办" in titles
    assert "村里的宅基地怎么分" in titles
    assert "手机字有点小" in titles
    assert "一天盐能吃几克" in titles
    assert "怎么视频" not in titles  # answered with confidence
    assert "孙子发的红包怎么领取" not in titles  # stands in the first group
    assert "孙子发的红包怎么领取" in page
    assert "没答上 5" in page
    assert "被点了没用 1" in page
    assert "把握不大 1" in page


def test_queue_suggests_entries_for_a_group(editor, seeded):
    page = editor.get("/staff/review").get_data(as_text=True)
    group = page[page.index("手机字有点小") :]
    group = group[: group.index("</section>")]
    assert 'value="phone/font-size" checked' in group


def test_html_in_a_wechat_message_stays_inert_text(editor, db):
    asked(db, '<script>alert("x")</script><img src=x onerror=alert(1)><b>粗</b>')
    page = editor.get("/staff/review").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>粗</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;粗&lt;/b&gt;" in page


def hidden_keys(page, title):
    start = page.index(f'<h2 class="question">{title}</h2>')
    section = page[start : page.index("</section>", start)]
    return re.findall(r'name="key" value="([^"]*)"', section)


def test_add_question_as_phrasing_of_an_entry(app, editor, seeded, db):
    page = editor.get("/staff/review").get_data(as_text=True)
    keys = hidden_keys(page, "手机字有点小")
    response = post_form(
        editor,
        "/staff/review/phrasing",
        {"entry_id": "phone/font-size", "text": "手机字有点小", "key": keys[: len(keys) // 3]},
    )
    assert response.status_code == 302
    entry = knowledge.entry_from_row(knowledge.get_row(db, "phone/font-size"))
    assert "手机字有点小" in entry.phrasings
    revision = db.execute(
        "select user, action, note from revisions where entry_id = 'phone/font-size'"
        " order by id desc limit 1"
    ).fetchone()
    assert tuple(revision) == ("wangli", "phrasing", "手机字有点小")
    page = editor.get("/staff/review").get_data(as_text=True)
    assert "手机字有点小" not in [title for title, _ in groups_of(page)]
    assert "已把“手机字有点小”加为 phone/font-size 的问法" in page
    assert answer_for(app, "手机字有点小", "phone/font-size").entry_id == "phone/font-size"


def test_adding_a_phrasing_to_an_unknown_entry_is_refused(editor, seeded):
    response = post_form(
        editor, "/staff/review/phrasing", {"other_id": "no/such", "text": "随便问问"}
    )
    page = editor.get(response.location).get_data(as_text=True)
    assert "没有加上：找不到这个条目" in page


def test_write_a_new_entry_from_a_question(app, editor, seeded, db):
    page = editor.get("/staff/review").get_data(as_text=True)
    keys = hidden_keys(page, "孙子发的红包怎么领")
    form_page = editor.get(
        "/staff/entries/new", query_string={"question": "孙子发的红包怎么领", "key": keys}
    ).get_data(as_text=True)
    assert 'value="孙子发的红包怎么领"' in form_page
    response = post_form(
        editor,
        "/staff/entries/new",
        {
            "id": "wechat/red-packet",
            "category": "smartphone",
            "question": "孙子发的红包怎么领",
            "phrasings": "红包咋收\n红包怎么拆\n微信红包在哪领\n领红包要密码吗\n红包点开没钱",
            "answer": "点开聊天里的红包，再点“开”，钱就进了零钱。",
            "source": "微信官方帮助中心",
            "reviewed": "2026-11-28",
            "key": keys,
        },
    )
    assert response.status_code == 302
    page = editor.get("/staff/review").get_data(as_text=True)
    assert "孙子发的红包怎么领" not in [title for title, _ in groups_of(page)]
    reply = answer_for(app, "孙子发的红包怎么领", "wechat/red-packet")
    assert reply.text.startswith("点开聊天里的红包")


def test_dismiss_hides_a_group_until_it_is_asked_again(editor, seeded, db):
    page = editor.get("/staff/review").get_data(as_text=True)
    keys = hidden_keys(page, "医保卡丢了去哪补办")
    post_form(editor, "/staff/review/dismiss", {"key": keys})
    page = editor.get("/staff/review").get_data(as_text=True)
    assert "医保卡丢了去哪补办" not in [title for title, _ in groups_of(page)]
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    asked(db, "医保卡丢了去哪补办", when=later)
    page = editor.get("/staff/review").get_data(as_text=True)
    assert ("医保卡丢了去哪补办", 1) in groups_of(page)
