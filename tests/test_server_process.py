"""The service as a real process: gunicorn with two workers on a free loopback port."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import AES_KEY, APP_ID, FIXTURE_KB, TOKEN
from tests.wxclient import WeChatServer, event_xml, text_xml

ROOT = Path(__file__).parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        WECHAT_TOKEN=TOKEN,
        WECHAT_AES_KEY=AES_KEY,
        WECHAT_APPID=APP_ID,
        BOT_DATABASE=str(tmp_path / "server.db"),
        KNOWLEDGE_DIR=FIXTURE_KB,
        PORT=str(port),
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "2",
            "server:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/wechat"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(url, timeout=2)
                break
            except requests.RequestException:
                if process.poll() is not None:
                    pytest.fail(process.stderr.read().decode())
                time.sleep(0.1)
        yield url, tmp_path / "server.db"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


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
    xml = text_xml("96110是什么电话", 4)
    replies = set()
    for _ in range(6):  # the two workers take turns; every delivery signed afresh
        request = wechat.plain(xml)
        response = requests.post(url, params=request.query, data=request.body.encode(), timeout=5)
        replies.add(wechat.open_reply(response.content)["Content"])
    subscribe = wechat.plain(event_xml("subscribe", create_time=1700000000))
    for _ in range(3):
        requests.post(url, params=subscribe.query, data=subscribe.body.encode(), timeout=5)
    assert len(replies) == 1
    with sqlite3.connect(database) as conn:
        rows = conn.execute("select msg_type, count(*) from messages group by msg_type").fetchall()
    assert sorted(rows) == [("event", 1), ("text", 1)]
