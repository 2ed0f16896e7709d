"""Fixtures in the Flask tutorial's manner: each test builds the app on its own database."""

from pathlib import Path

import pytest

from bot import create_app
from tests.wxclient import WeChatServer

HERE = Path(__file__).parent
FIXTURE_KB = str(HERE / "fixtures" / "knowledge")
REAL_KB = str(HERE.parent / "knowledge")
TOKEN = "test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx5823bf96d3bd56c7"


@pytest.fixture
def make_app(tmp_path):
    """Build an app on a fresh SQLite file in tmp_path; keyword arguments override settings."""

    def make(**config):
        settings = {
            "BOT_DATABASE": str(tmp_path / "bot.db"),
            "KNOWLEDGE_DIR": FIXTURE_KB,
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_AES_KEY": "",
            "WECHAT_APPID": "",
            "SECRET_KEY": "test-secret",
            "INDEX_BACKGROUND": False,
            "DEDUP_WAIT_SECONDS": 1.0,
        }
        settings.update(config)
        return create_app(settings)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def safe_app(make_app):
    return make_app(WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APP_ID)


@pytest.fixture
def wechat():
    return WeChatServer(TOKEN, AES_KEY, APP_ID)


@pytest.fixture
def db(app):
    return app.extensions["silverhelper"].db()
