"""Send one signed text message to a running service, as WeChat would, and print the reply.

    python -m bot.wechat.ask '微信怎么视频通话'
    python -m bot.wechat.ask --url http://127.0.0.1:8000/wechat --token TOKEN '...'

Plain mode only: for trying the service by hand; the tests cover safe mode.
"""

import argparse
import hashlib
import os
import time
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from bot.config import load_settings


def signed_query(token):
    timestamp, nonce = str(int(time.time())), os.urandom(4).hex()
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def text_message(text, user="oTryItUser"):
    return (
        f"<xml><ToUserName>gh_try</ToUserName><FromUserName>{escape(user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType>"
        f"<Content>{escape(text)}</Content><MsgId>{time.time_ns()}</MsgId></xml>"
    )


def main():
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text")
    parser.add_argument("--url", default=f"http://127.0.0.1:{settings['PORT']}/wechat")
    parser.add_argument("--token", default=settings["WECHAT_TOKEN"])
    args = parser.parse_args()
    url = args.url + "?" + urlencode(signed_query(args.token))
    request = urllib.request.Request(url, data=text_message(args.text).encode("utf-8"))
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode("utf-8")
    print(ET.fromstring(body).findtext("Content") if body.startswith("<xml") else body)


if __name__ == "__main__":
    main()
