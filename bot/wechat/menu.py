"""The official account's custom menu: installed through wechatpy's API client.

    flask --app server menu install      # needs WECHAT_APPID and WECHAT_SECRET

The menu's CLICK keys are the ones bot/chat/dialogue.py answers (MENU_KEYS, HELP, HUMAN).
"""

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from bot.wechat.api import WECHAT_API, ApiClient

menu_cli = AppGroup("menu", help="The official account's custom menu.")


def load_menu(knowledge_dir):
    return json.loads((Path(knowledge_dir) / "menu.json").read_text(encoding="utf-8"))


def install(appid, secret, menu, api_base=WECHAT_API):
    """Replace the account's menu; returns WeChat's answer (raises on an error code)."""
    return ApiClient(appid, secret, api_base).menu.create(menu)


@menu_cli.command("install")
def install_command():
    """Install knowledge/menu.json as the official account's custom menu."""
    config = current_app.config
    if not (config["WECHAT_APPID"] and config["WECHAT_SECRET"]):
        raise click.UsageError("set WECHAT_APPID and WECHAT_SECRET first")
    menu = load_menu(config["KNOWLEDGE_DIR"])
    result = install(
        config["WECHAT_APPID"],
        config["WECHAT_SECRET"],
        menu,
        config.get("WECHAT_API_BASE") or WECHAT_API,
    )
    click.echo(f"menu installed: {result.get('errmsg', 'ok')}")
