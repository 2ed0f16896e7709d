"""Entry point: `python server.py` serves on embedded defaults; gunicorn uses `app`."""

from bot import create_app
from bot.config import safe_mode

app = create_app()


def main():
    settings = app.config
    port = settings["PORT"]
    services = app.extensions["silverhelper"]
    print(
        "银龄助手 is running.\n"
        f"  webhook:   http://127.0.0.1:{port}/wechat\n"
        f"  token:     {settings['WECHAT_TOKEN']}\n"
        f"  mode:      {'safe (AES)' if safe_mode(settings) else 'plain'}\n"
        f"  database:  {settings['BOT_DATABASE']}\n"
        f"  knowledge: {settings['KNOWLEDGE_DIR']}"
        f" ({len(services.index.current(services.db()).entries)} entries)\n"
        f"  ready in:  {services.startup_seconds:.1f} s\n"
        "Try it:    python -m bot.ask '微信怎么视频通话'\n",
        flush=True,
    )
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
