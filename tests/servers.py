"""A real server process for the tests that need one (gunicorn, or what `./dev serve`
runs), on a free loopback port."""

import contextlib
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

ROOT = Path(__file__).parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


COMMANDS = {
    "gunicorn": [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--workers",
        "2",
        "server:app",
    ],
    "dev": [sys.executable, "server.py"],  # what `./dev serve` runs
}


@contextlib.contextmanager
def running(tmp_path, kind="gunicorn", log=None, **settings):
    """A real server process on a free loopback port; yields (base URL, database path,
    process)."""
    port = free_port()
    env = dict(
        os.environ,
        WECHAT_TOKEN=TOKEN,
        WECHAT_AES_KEY=AES_KEY,
        WECHAT_APPID=APP_ID,
        BOT_DATABASE=str(tmp_path / "server.db"),
        KNOWLEDGE_DIR=FIXTURE_KB,
        PORT=str(port),
        WECHAT_MODE="compat",  # these tests send plain and encrypted messages
        SECRET_KEY="test-server-secret",
        **settings,
    )
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        COMMANDS[kind],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/wechat", timeout=2)
                break
            except requests.RequestException:
                if process.poll() is not None:
                    pytest.fail(Path(log).read_text() if log else process.stderr.read().decode())
                time.sleep(0.1)
        yield base, tmp_path / "server.db", process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()
        else:
            process.stderr.close()
