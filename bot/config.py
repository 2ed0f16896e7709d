"""Settings: environment variables (and a `.env` file) over embedded defaults.

The defaults let `python server.py` answer at once on a developer's machine; every
production deployment sets its own token, keys and database path.
"""

import os
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEMO_TOKEN = "silverhelper-demo-token"
DEV_SECRET = "dev-secret-change-me"

DEFAULTS = {
    # WeChat: the token typed into the official account's server settings.
    "WECHAT_TOKEN": DEMO_TOKEN,
    # Safe (AES) mode when both are set: the 43-character EncodingAESKey and the AppID.
    "WECHAT_AES_KEY": "",
    "WECHAT_APPID": "",
    # plain | compat | safe; empty: safe when the AES key and AppID are set, else plain.
    # Safe refuses unencrypted messages; compat (WeChat's 兼容模式) takes both.
    "WECHAT_MODE": "",
    # A request whose timestamp is further than this from now is refused (replay guard).
    "WECHAT_TIMESTAMP_WINDOW": 300,
    # Largest accepted request body; WeChat's own messages are far smaller.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # How long a duplicate delivery waits for the first delivery's reply (WeChat waits 5 s).
    "DEDUP_WAIT_SECONDS": 4.0,
    "BOT_DATABASE": str(PROJECT_ROOT / "instance" / "silverhelper.db"),
    "KNOWLEDGE_DIR": str(PROJECT_ROOT / "knowledge"),
    # Fitted indexes and classifiers kept between starts, so a restart loads them in a
    # fraction of a second instead of fitting; empty: fit at every start.
    "FIT_CACHE_DIR": str(PROJECT_ROOT / "instance" / "fitted"),
    "SECRET_KEY": DEV_SECRET,
    # The demo token and development secret are refused when serving, unless this is on
    # (`./dev serve` sets it): with them anyone can sign messages and compute user ids.
    "ALLOW_DEMO_SECRETS": False,
    # Key for the pseudonymous user id in the usage log; falls back to SECRET_KEY.
    "USER_HASH_KEY": "",
    "PORT": 8000,
    # A person: when true, 人工 hands the chat to WeChat customer service (the account
    # must have it enabled); otherwise the bot gives these hours and number, if set.
    "HUMAN_TRANSFER": False,
    "SERVICE_HOURS": "",
    "SERVICE_PHONE": "",
    # The official account's AppSecret: only for installing the custom menu.
    "WECHAT_SECRET": "",
    # WeChat's API address; changed only to test against a local stand-in.
    "WECHAT_API_BASE": "https://api.weixin.qq.com/cgi-bin/",
    # Staff pages: a login lasts this long without use, then asks for the password again.
    "SESSION_LIFETIME_MINUTES": 120,
    # Send the login cookie over HTTPS only (set to 1 when served behind HTTPS).
    "SESSION_COOKIE_SECURE": False,
    # Review queue: an answer scoring below this counts as low confidence.
    "REVIEW_LOW_SCORE": 0.25,
    # Review queue: how many days of questions it looks back over.
    "REVIEW_DAYS": 60,
    # Review queue: questions at least this similar (cosine, 0–1) stand in one group.
    "REVIEW_GROUP_SIMILARITY": 0.5,
    # Where the staff export writes entries/*.yaml; empty means KNOWLEDGE_DIR itself.
    "KB_EXPORT_DIR": "",
    # Family guardians (亲情守护): off unless turned on; outside WeChat's 48-hour window an
    # alert goes as this template message (the template is set up in the account).
    "GUARDIANS": False,
    "GUARDIAN_TEMPLATE_ID": "",
    # Screenshot checks: a forwarded picture is read (offline OCR) and judged by a worker.
    "SCREENSHOTS": False,
    # A numbered choice is offered only when the runner-up scores within this of the best
    # entry; 0.005 was chosen on our own questions (bench/tune_retriever.py).
    "CHOICE_MARGIN": 0.005,
}

INT_SETTINGS = {
    "WECHAT_TIMESTAMP_WINDOW",
    "MAX_CONTENT_LENGTH",
    "PORT",
    "SESSION_LIFETIME_MINUTES",
    "REVIEW_DAYS",
}
FLOAT_SETTINGS = {
    "DEDUP_WAIT_SECONDS",
    "REVIEW_LOW_SCORE",
    "REVIEW_GROUP_SIMILARITY",
    "CHOICE_MARGIN",
}
BOOL_SETTINGS = {
    "SESSION_COOKIE_SECURE",
    "HUMAN_TRANSFER",
    "ALLOW_DEMO_SECRETS",
    "GUARDIANS",
    "SCREENSHOTS",
}


def load_settings(overrides=None):
    """Defaults, then `.env` and the environment, then explicit overrides (tests)."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    settings = dict(DEFAULTS)
    for name in DEFAULTS:
        raw = os.environ.get(name)
        if raw is None or raw == "":
            continue
        if name in INT_SETTINGS:
            settings[name] = int(raw)
        elif name in FLOAT_SETTINGS:
            settings[name] = float(raw)
        elif name in BOOL_SETTINGS:
            settings[name] = raw.strip().lower() in ("1", "true", "yes", "on")
        else:
            settings[name] = raw
    settings.update(overrides or {})
    if not settings["USER_HASH_KEY"]:
        settings["USER_HASH_KEY"] = settings["SECRET_KEY"]
    return settings


def safe_mode(settings):
    return bool(settings.get("WECHAT_AES_KEY") and settings.get("WECHAT_APPID"))


MODES = ("plain", "compat", "safe")


def wechat_mode(settings):
    """The message mode, explicit or from the keys present; a mode needing keys that are
    missing is a configuration error, said at start."""
    mode = (settings.get("WECHAT_MODE") or "").strip().lower()
    if not mode:
        return "safe" if safe_mode(settings) else "plain"
    if mode not in MODES:
        raise ValueError(f"WECHAT_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    if mode != "plain" and not safe_mode(settings):
        raise ValueError(f"WECHAT_MODE={mode} needs WECHAT_AES_KEY and WECHAT_APPID")
    return mode


def demo_secret_problems(settings):
    """What stops a real start: the public demo token or development secret in use."""
    if settings.get("ALLOW_DEMO_SECRETS"):
        return []
    problems = []
    if settings.get("WECHAT_TOKEN") == DEMO_TOKEN:
        problems.append("WECHAT_TOKEN is the public demo token: set the account's own token")
    if settings.get("SECRET_KEY") == DEV_SECRET:
        problems.append("SECRET_KEY is the development value: set a long random one")
    if settings.get("USER_HASH_KEY") == DEV_SECRET:
        problems.append("USER_HASH_KEY is the development value: set a long random one")
    return problems
