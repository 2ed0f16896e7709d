"""WeChat's API for what is not a passive reply: customer-service and template messages,
the custom menu. wechatpy's client, pointed at a settable address (a local stand-in in
tests), its access token kept in the shared SQLite file so every worker uses one token
instead of each fetching its own (WeChat limits how often a token may be fetched)."""

import time

from wechatpy import WeChatClient
from wechatpy.session import SessionStorage

WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"


class SqliteTokenStorage(SessionStorage):
    """wechatpy's session storage on the shared database (table api_tokens)."""

    def __init__(self, open_db):
        self._open_db = open_db

    def get(self, key, default=None):
        db = self._open_db()
        try:
            row = db.execute(
                "select value from api_tokens where key = ? and expires_at > ?", [key, time.time()]
            ).fetchone()
        finally:
            db.conn.close()
        return row[0] if row else default

    def set(self, key, value, ttl=None):
        db = self._open_db()
        try:
            expires = time.time() + (ttl or 7200)
            db.execute(
                "insert into api_tokens (key, value, expires_at) values (?, ?, ?)"
                " on conflict(key) do update set value = excluded.value,"
                " expires_at = excluded.expires_at",
                [key, str(value), expires],
            )
            db.conn.commit()
        finally:
            db.conn.close()

    def delete(self, key):
        db = self._open_db()
        try:
            db.execute("delete from api_tokens where key = ?", [key])
            db.conn.commit()
        finally:
            db.conn.close()


class ApiClient(WeChatClient):
    """wechatpy's client, with its API address settable."""

    def __init__(self, appid, secret, api_base=WECHAT_API, session=None):
        super().__init__(appid, secret, session=session)
        self.API_BASE_URL = api_base

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
