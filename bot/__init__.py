"""银龄助手 (Silver Helper): a WeChat official-account assistant for older residents."""

import logging

from flask import Flask

from .config import load_settings


def create_app(config=None):
    """Build the app: settings, then the shared services, then one blueprint per audience."""
    settings = load_settings(config)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(settings)

    from .services import Services

    app.extensions["silverhelper"] = Services(settings)

    from . import cli, errors, webhook

    app.register_blueprint(webhook.bp)
    errors.register(app)
    cli.register(app)
    logging.getLogger("bot").setLevel(logging.INFO)
    return app
