"""Edge inputs and headers found by trying the service as an attacker and an operator."""

from pathlib import Path

import pytest

from tests.helpers import services_of


@pytest.mark.parametrize(
    "url",
    [
        "/reports/monthly?month=0001-01",
        "/reports/monthly?month=9999-12",
        "/reports/?from=9999-12-25&to=9999-12-31",
        "/reports/overview.csv?from=0001-01-01&to=0001-01-02",
    ],
)
def test_far_dates_get_400_with_a_message_not_500(app, logged_in_client, url):
    client = logged_in_client("viewer")
    response = client.get(url)
    assert response.status_code == 400
    assert "2000" in response.get_data(as_text=True)


def test_a_huge_page_number_gets_400_not_500(app, logged_in_client):
    client = logged_in_client("editor")
    response = client.get("/staff/entries?page=99999999999999999999")
    assert response.status_code == 400 and "页码" in response.get_data(as_text=True)
    assert client.get("/staff/entries?page=2").status_code == 200


@pytest.mark.parametrize("url", ["/login", "/wechat?echostr=x", "/reports/", "/static/staff.css"])
def test_every_answer_carries_the_security_headers(client, url):
    response = client.get(url)
    headers = response.headers
    response.close()
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_a_vanished_knowledge_file_is_a_problem_not_a_quiet_retirement(make_app, tmp_path):
    import shutil

    from bot.kb.entries import KnowledgeError
    from tests.conftest import FIXTURE_KB

    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, kb)
    extra = kb / "entries" / "extra.yaml"
    text = (kb / "entries" / "sample.yaml").read_text(encoding="utf-8")
    first = text.split("\n- id: ")[1]
    extra.write_text(
        "- id: "
        + first.replace("wechat/video-call", "wechat/video-call-copy", 1).replace(
            "微信怎么打视频电话？", "微信视频电话怎么接？", 1
        ),
        encoding="utf-8",
    )
    app = make_app(KNOWLEDGE_DIR=str(kb))
    db = services_of(app).db()
    assert db["entries"].get("wechat/video-call-copy")["status"] == "active"
    extra.unlink()
    with pytest.raises(KnowledgeError, match="extra.yaml: the file is missing"):
        make_app(KNOWLEDGE_DIR=str(kb))
    assert db["entries"].get("wechat/video-call-copy")["status"] == "active"
    runner = app.test_cli_runner()
    check = runner.invoke(args=["kb", "check"])
    assert check.exit_code == 1 and "extra.yaml: the file is missing" in check.output
    listed = runner.invoke(args=["kb", "retire-missing"])
    assert "wechat/video-call-copy" in listed.output and "--yes" in listed.output
    assert db["entries"].get("wechat/video-call-copy")["status"] == "active"
    retired = runner.invoke(args=["kb", "retire-missing", "--yes"])
    assert "retired 1" in retired.output
    assert db["entries"].get("wechat/video-call-copy")["status"] == "retired"
    make_app(KNOWLEDGE_DIR=str(kb))  # starts again once the retirement was explicit


def test_serving_on_the_public_demo_secrets_is_refused(make_app):
    from bot.config import DEMO_TOKEN, DEV_SECRET

    with pytest.raises(RuntimeError, match="WECHAT_TOKEN is the public demo token"):
        make_app(WECHAT_TOKEN=DEMO_TOKEN)
    with pytest.raises(RuntimeError, match="SECRET_KEY is the development value"):
        make_app(SECRET_KEY=DEV_SECRET, USER_HASH_KEY="")
    make_app(WECHAT_TOKEN=DEMO_TOKEN, SECRET_KEY=DEV_SECRET, ALLOW_DEMO_SECRETS=True)


def test_the_served_app_refuses_to_load_on_demo_secrets(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import FIXTURE_KB

    env = dict(os.environ, BOT_DATABASE=str(tmp_path / "x.db"), KNOWLEDGE_DIR=FIXTURE_KB)
    for name in ("WECHAT_TOKEN", "SECRET_KEY", "USER_HASH_KEY", "ALLOW_DEMO_SECRETS"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", "import server"],
        cwd=Path(__file__).parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "refusing to start on public secrets" in result.stderr


def test_conversation_states_are_purged_when_expired_and_by_the_text_retention(app):
    import time

    from bot.chat import conversation
    from bot.chat.dialogue import Message
    from tests.conftest import Clock

    services = services_of(app)
    db = services.db()
    clock = Clock(time.time())
    services.dialogue.clock = clock
    services.respond(Message("oOld", "text", text="一天吃多少盐"))
    services.respond(Message("oNew", "text", text="微信怎么视频通话"))
    assert db.execute("select count(*) from conversations").fetchone()[0] == 2
    assert "盐" in db.execute("select state from conversations").fetchall()[0][0]
    assert conversation.purge_expired(db, clock() + 7 * 24 * 3600) == 2
    services.respond(Message("oOld", "text", text="一天吃多少盐"))
    db.execute("update conversations set updated_at = ?", [time.time() - 200 * 86400])
    db.conn.commit()
    db.execute(
        "insert into screenshot_checks (ts, day, user_hash, verdict, kind, text)"
        " values ('2020-01-01T00:00:00', '2020-01-01', 'u', 'scam', 'ETC 认证', '请点击链接')"
    )
    db.conn.commit()
    result = app.test_cli_runner().invoke(args=["purge-text", "--days", "180"])
    assert "1 conversation states, 1 screenshot checks" in result.output
    assert db.execute("select text from screenshot_checks").fetchone()[0] is None
    assert db.execute("select count(*) from conversations").fetchone()[0] == 0
