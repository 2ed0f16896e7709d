"""The protocol's tables: replies kept for WeChat's retries, the nonces of signed
requests (replay), and the API's access token."""

from sqlite_utils import Migrations

migrations = Migrations("wechat")


@migrations()
def m002_processed_messages(db):
    # Retry dedup: the first delivery claims the key, stores the reply; retries reuse it.
    db["processed_messages"].create({"key": str, "reply_xml": str, "created_at": float}, pk="key")
    db["processed_messages"].create_index(["created_at"])


@migrations()
def m007_dedup_reply_without_openid(db):
    # Keep only what the reply said (text, transfer): the reply XML names the user's
    # openid, which must not be stored. Retries rebuild the XML from their own message.
    db["processed_messages"].delete_where()
    db["processed_messages"].transform(rename={"reply_xml": "reply"})


@migrations()
def m008_seen_requests(db):
    """The nonce of every signed request within the timestamp window: a captured
    signature sent again with another body is refused."""
    db["seen_requests"].create(
        {"nonce": str, "timestamp": str, "digest": str, "seen_at": float}, pk="nonce"
    )
    db["seen_requests"].create_index(["seen_at"])


@migrations()
def m009_api_tokens(db):
    """WeChat's API access token, shared by every worker (databases made before this
    set existed have the table already)."""
    db["api_tokens"].create(
        {"key": str, "value": str, "expires_at": float}, pk="key", if_not_exists=True
    )
