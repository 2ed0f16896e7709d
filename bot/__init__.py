"""银龄助手 (Silver Helper): a WeChat official-account assistant for older residents."""

import logging

from flask import Flask

from bot.config import demo_secret_problems, load_settings


def create_app(config=None, strict=True):
    """Build the app: settings, then the shared services, then one blueprint per audience.

    strict (serving): an invalid knowledge base stops the start with the reasons.
    Not strict (the `flask` command line): the app still loads so that `kb check` can
    list the problems; the webhook then answers 503 until they are fixed.
    """
    settings = load_settings(config)
    if strict and demo_secret_problems(settings):
        raise RuntimeError(
            "refusing to start on public secrets:\n  "
            + "\n  ".join(demo_secret_problems(settings))
            + "\n(ALLOW_DEMO_SECRETS=1 allows them, as ./dev serve does, for trying it out)"
        )
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(settings)

    from bot.kb.entries import KnowledgeError
    from bot.services import EXTENSION, Services

    try:
        app.extensions[EXTENSION] = Services(settings)
    except KnowledgeError as error:
        if strict:
            raise
        app.extensions[EXTENSION] = None
        app.logger.warning(
            "knowledge base invalid (%d problems): the webhook answers 503", len(error.problems)
        )

    from bot import errors, headers
    from bot.kb import cli
    from bot.wechat import webhook

    app.register_blueprint(webhook.bp)
    from bot import auth, staff

    auth.register(app)  # login, sessions, CSRF, `users` commands
    auth.csrf.exempt(webhook.bp)  # WeChat signs its own requests; it has no CSRF token.
    staff.register(app)  # /staff pages, `kb export`
    from bot import reports

    reports.register(app)  # /reports pages, `report` and `purge-text` commands
    errors.register(app)
    headers.register(app)
    cli.register(app)
    logging.getLogger("bot").setLevel(logging.INFO)
    return app
