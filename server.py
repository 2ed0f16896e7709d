"""Entry point: `python server.py` serves on embedded defaults; gunicorn uses `app`."""

from urllib.parse import urlsplit

import click
from werkzeug.serving import WSGIRequestHandler

from bot import create_app
from bot.config import wechat_mode

# Under the `flask` command line (a click context is active) the app loads even with an
# invalid knowledge base, so that `flask --app server kb check` can say what is wrong.
app = create_app(strict=click.get_current_context(silent=True) is None)


class PathOnlyLog(WSGIRequestHandler):
    """The development server's access log without query strings (WeChat puts the
    openid there)."""

    def log_request(self, code="-", size="-"):
        full = self.path
        self.path = urlsplit(full).path
        self.requestline = f"{self.command} {self.path} {self.request_version}"
        try:
            super().log_request(code, size)
        finally:
            self.path = full


def main():
    settings = app.config
    port = settings["PORT"]
    services = app.extensions["silverhelper"]
    print(
        "银龄助手 is running.\n"
        f"  webhook:   http://127.0.0.1:{port}/wechat\n"
        f"  token:     {settings['WECHAT_TOKEN']}\n"
        f"  mode:      {wechat_mode(settings)}\n"
        f"  database:  {settings['BOT_DATABASE']}\n"
        f"  knowledge: {settings['KNOWLEDGE_DIR']}"
        f" ({len(services.index.current(services.db()).entries)} entries)\n"
        f"  ready in:  {services.startup_seconds:.1f} s\n"
        "Try it:    ./dev ask '微信怎么视频通话'   (in another terminal)\n",
        flush=True,
    )
    # In production these run as `flask --app server outbox run`, beside gunicorn.
    if settings["GUARDIANS"] or settings["SCREENSHOTS"]:
        services.outbox_worker()
    if settings["SCREENSHOTS"]:
        services.screenshot_worker()
    app.run(host="127.0.0.1", port=port, threaded=True, request_handler=PathOnlyLog)


if __name__ == "__main__":
    main()
