"""The service as a real process: gunicorn with two workers on a free loopback port."""

import contextlib
import re
import subprocess
import time
import types
import urllib.parse

import pytest
import requests

from tests.conftest import AES_KEY, APP_ID, STAFF_PASSWORD, TOKEN
from tests.servers import running
from tests.wxclient import WeChatServer, event_xml, text_xml


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One gunicorn and one development server for the tests that only send requests:
    starting a server is the slow part of these tests."""
    servers = {}
    with contextlib.ExitStack() as stack:
        for kind in ("gunicorn", "dev"):
            path = tmp_path_factory.mktemp(kind)
            log = path / "server.log"
            base, database, _ = stack.enter_context(running(path, kind, log=log))
            servers[kind] = types.SimpleNamespace(base=base, database=database, log=log)
        yield servers


@pytest.fixture
def server(shared):
    return shared["gunicorn"].base + "/wechat", shared["gunicorn"].database


def test_real_server_answers_plain_and_safe_mode(server):
    url, _ = server
    wechat = WeChatServer(TOKEN, AES_KEY, APP_ID)
    for number, request in enumerate(
        [wechat.plain(text_xml("微信怎么打视屏", 1)), wechat.safe(text_xml("一天吃几克盐", 2))]
    ):
        response = requests.post(url, params=request.query, data=request.body.encode(), timeout=5)
        assert response.status_code == 200
        reply = wechat.open_reply(response.content)
        assert ("视频通话" if number == 0 else "5克") in reply["Content"]


def test_real_server_refuses_bad_input_cleanly(server):
    url, _ = server
    wechat = WeChatServer(TOKEN, AES_KEY, APP_ID)
    request = wechat.plain(text_xml("你好", 3))
    bad_signature = dict(request.query, signature="0" * 40)
    assert requests.post(url, params=bad_signature, data=request.body, timeout=5).status_code == 403
    too_big = requests.post(url, params=request.query, data=b"x" * 200_000, timeout=5)
    assert too_big.status_code == 413
    broken = requests.post(url, params=request.query, data=b"<xml><oops", timeout=5)
    assert broken.status_code == 400 and b"Traceback" not in broken.content


def test_real_server_retries_are_handled_once_across_workers(server):
    import sqlite3

    url, database = server
    wechat = WeChatServer(TOKEN, AES_KEY, APP_ID)
    xml = text_xml("96110是什么电话", 4444)
    replies = set()
    for _ in range(6):  # the two workers take turns; every delivery signed afresh
        request = wechat.plain(xml)
        response = requests.post(url, params=request.query, data=request.body.encode(), timeout=5)
        replies.add(wechat.open_reply(response.content)["Content"])
    subscribe = wechat.plain(event_xml("subscribe", create_time=1700004444))
    for _ in range(3):
        requests.post(url, params=subscribe.query, data=subscribe.body.encode(), timeout=5)
    assert len(replies) == 1
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "select msg_type, count(*) from messages"
            " where msg_key like '%:4444' or msg_key like '%:1700004444:%' group by msg_type"
        ).fetchall()
    assert sorted(rows) == [("event", 1), ("text", 1)]


def _viewer_session(base, database):
    """A logged-in coordinator's session against a running server, through the real form."""
    import sqlite_utils

    from bot.auth import create_user

    db = sqlite_utils.Database(database)
    create_user(db, "coordinator", "viewer", STAFF_PASSWORD)
    db.conn.commit()
    db.conn.close()
    session = requests.Session()
    page = session.get(base + "/login", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"name": "coordinator", "password": STAFF_PASSWORD, "csrf_token": token}
    assert session.post(base + "/login", data=form, timeout=5).ok
    return session


@pytest.mark.parametrize("kind", ["gunicorn", "dev"])
def test_report_downloads_keep_their_chinese_names_on_real_servers(shared, kind):
    base, database = shared[kind].base, shared[kind].database
    session = _viewer_session(base, database)
    for path, suffix in [("/reports/overview.csv", ".csv"), ("/reports/report.xlsx", ".xlsx")]:
        response = session.get(base + path, timeout=10)
        assert response.status_code == 200, response.text[:200]
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''" in disposition
        assert disposition.encode("ascii")  # the header itself is plain ASCII
        name = urllib.parse.unquote(disposition.split("filename*=UTF-8''")[1])
        assert name.startswith("银龄助手报表_") and name.endswith(suffix), name
        assert len(response.content) > 20


def _workers(master, count=2):
    deadline = time.monotonic() + 10
    while True:
        found = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True)
        pids = [int(pid) for pid in found.stdout.split()]
        if len(pids) >= count or time.monotonic() > deadline:
            return pids
        time.sleep(0.1)


def test_a_full_disk_costs_the_log_never_the_reply(tmp_path):
    """The workers' file-size limit set to 0 under way: every write to the database fails as
    on a full disk (CPython ignores SIGXFSZ, so the write returns EFBIG)."""
    import resource
    import sqlite3

    wechat = WeChatServer(TOKEN, AES_KEY, APP_ID)

    def ask(text, msg_id):
        request = wechat.safe(text_xml(text, msg_id))
        response = requests.post(url, params=request.query, data=request.body.encode(), timeout=5)
        return response.status_code, wechat.open_reply(response.content)["Content"]

    with running(tmp_path) as (base, database, master):
        url = base + "/wechat"
        assert ask("一天吃几克盐", 1)[0] == 200
        workers = _workers(master)
        assert len(workers) == 2
        limit = resource.RLIMIT_FSIZE
        for pid in workers:
            resource.prlimit(pid, limit, (0, resource.RLIM_INFINITY))
        during = [ask(q, 100 + n) for n, q in enumerate(["一天吃几克盐", "96110是什么电话"] * 10)]
        for pid in workers:
            resource.prlimit(pid, limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        after = [ask("96110是什么电话", 200 + n) for n in range(4)]
    assert all(status == 200 for status, _ in during + after)
    assert all("5克" in text for _, text in during[::2])
    assert all("96110" in text for _, text in during[1::2] + after)
    with sqlite3.connect(database) as conn:
        keys = [row[0] for row in conn.execute("select msg_key from messages order by id")]
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    # The turns while the disk was full are not logged; before and after, each once.
    assert [key.rsplit(":", 1)[1] for key in keys] == ["1"] + [str(200 + n) for n in range(4)]


@pytest.mark.parametrize("kind", ["gunicorn", "dev"])
def test_access_logs_never_hold_the_openid_or_the_signature(shared, kind):
    wechat = WeChatServer(TOKEN, AES_KEY, APP_ID)
    base, log = shared[kind].base, shared[kind].log
    request = wechat.safe(text_xml("一天吃几克盐", 5555))
    query = dict(request.query, openid="oSecretOpenId123")
    response = requests.post(base + "/wechat", params=query, data=request.body.encode(), timeout=5)
    assert response.status_code == 200
    written = log.read_text(encoding="utf-8", errors="replace")
    assert "POST /wechat" in written
    for secret in (
        "oSecretOpenId123",
        "openid=",
        request.query["signature"],
        request.query["nonce"],
    ):
        assert secret not in written


@pytest.mark.parametrize("kind", ["gunicorn", "dev"])
def test_a_chunked_body_over_the_limit_gets_413(shared, kind):
    wechat = WeChatServer(TOKEN, AES_KEY, APP_ID)
    base = shared[kind].base
    request = wechat.safe(text_xml("一天吃几克盐", 6666))

    def chunks():
        for _ in range(20):
            yield b"x" * 10_000

    response = requests.post(base + "/wechat", params=request.query, data=chunks(), timeout=10)
    assert response.status_code == 413
    assert b"Traceback" not in response.content


def test_recycled_workers_leave_at_once_and_lose_nothing(tmp_path):
    """Workers recycled every 4 requests end without Python's teardown: every message is
    answered, each logged once, and every recycled worker took the quick way out."""
    import sqlite3

    wechat = WeChatServer(TOKEN, AES_KEY, APP_ID)
    log = tmp_path / "server.log"
    recycle = "--max-requests 4 --max-requests-jitter 0"
    with running(tmp_path, log=log, GUNICORN_CMD_ARGS=recycle) as (base, database, _):
        for n in range(24):
            request = wechat.safe(text_xml("96110是什么电话", 500 + n))
            response = requests.post(
                base + "/wechat", params=request.query, data=request.body.encode(), timeout=10
            )
            assert response.status_code == 200
            assert "96110" in wechat.open_reply(response.content)["Content"]
    with sqlite3.connect(database) as conn:
        keys = sorted(
            int(k.rsplit(":", 1)[1]) for (k,) in conn.execute("select msg_key from messages")
        )
    assert keys == list(range(500, 524))
    text = log.read_text()
    recycled = text.count("Autorestarting worker")
    assert recycled >= 4
    assert text.count("Worker exiting at once") >= recycled
