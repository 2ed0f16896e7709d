"""Fixtures in the Flask tutorial's manner: each test builds the app on its own database."""

import itertools
import os
import re
import tempfile
import time
from pathlib import Path

import pytest

from bot import create_app
from bot.chat.dialogue import Message
from tests.helpers import services_of
from tests.wxclient import WeChatServer

HERE = Path(__file__).parent
FIXTURE_KB = str(HERE / "fixtures" / "knowledge")
REAL_KB = str(HERE.parent / "knowledge")
TOKEN = "test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx5823bf96d3bd56c7"
# Every app the tests build (and the servers they start) keeps its fits here, not in the
# project's instance folder; stored fits are keyed by what they were fitted on.
os.environ.setdefault("FIT_CACHE_DIR", str(Path(tempfile.gettempdir()) / "silverhelper-test-fits"))


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
    return services_of(app).db()


# --- staff accounts (bot/auth.py) -------------------------------------------------------

STAFF_PASSWORD = "correct-horse-42"
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(app, name, role="editor", password=STAFF_PASSWORD):
    """Create a staff account straight in the app's database."""
    from bot import auth

    db = services_of(app).db()
    auth.create_user(db, name, role, password, by="test")
    db.conn.commit()
    return name


def csrf_token(client, page="/login"):
    """The CSRF token of the client's session, read from a page's form as a browser would."""
    response = client.get(page)
    found = _CSRF_INPUT.search(response.get_data(as_text=True))
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def login(client, name, password=STAFF_PASSWORD):
    """Log in through the real form, CSRF token included; returns the response."""
    token = csrf_token(client)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def post_form(client, url, data=None, page="/login", **kwargs):
    """POST a form with the session's CSRF token added."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, page))
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def logged_in_client(app):
    """logged_in_client(role) → a test client of `app` logged in as a new user of that role."""

    def make(role="editor", name=None):
        name = name or f"{role}1"
        make_user(app, name, role)
        client = app.test_client()
        response = login(client, name)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


# --- the real knowledge base, built once per test run ------------------------------------


class Clock:
    """Time the tests control: `now()` for the dialogue, `advance(seconds)` to move on."""

    def __init__(self, start=1_800_000_000.0):
        self.value = start

    def __call__(self):
        return self.value

    def advance(self, seconds):
        self.value += seconds


@pytest.fixture(scope="session")
def real_services(tmp_path_factory):
    """The service on the bundled knowledge base (building it is the slow part)."""
    app = create_app(
        {
            "BOT_DATABASE": str(tmp_path_factory.mktemp("real") / "bot.db"),
            "KNOWLEDGE_DIR": REAL_KB,
            "WECHAT_TOKEN": TOKEN,
            "SECRET_KEY": "test-secret",
            "INDEX_BACKGROUND": False,
        }
    )
    return services_of(app)


@pytest.fixture
def resident(real_services):
    """One new resident talking to the real dialogue, no HTTP, on a clock the test moves."""
    clock = Clock()
    real_services.dialogue.clock = clock
    user = f"resident-{next(_residents)}"

    class Resident:
        def __init__(self):
            self.clock = clock

        def say(self, text):
            return real_services.respond(Message(user, "text", text=text))

    yield Resident()
    real_services.dialogue.clock = time.time


_residents = itertools.count()
