"""The yardstick for bench/webhook.py: a Flask endpoint that does nothing but answer."""

from flask import Flask

app = Flask(__name__)


@app.route("/wechat", methods=["GET", "POST"])
def wechat():
    return "success"
