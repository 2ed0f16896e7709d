"""Messages to send through WeChat's API, queued in the shared database and sent after
the reply by a worker: a resident's reply never waits on WeChat. Failures are retried
with backoff (5 s, 10 s, 20 s, …) and recorded; after MAX_ATTEMPTS a message is failed.

Inside WeChat's 48-hour window (the person wrote to the account lately) a message goes as
a customer-service text; outside it, as a template message when a template is configured.
"""

import logging
import time

from bot import usage
from bot.chat import texts
from bot.privacy import unseal

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
WINDOW_SECONDS = 48 * 3600


def enqueue(db, to_sealed, to_hash, purpose, text, now=None):
    """Queue one message; the caller commits (with the turn that caused it)."""
    now = now or time.time()
    db.execute(
        "insert into outbox (to_sealed, to_hash, purpose, text, created_at, next_at, attempts,"
        " status, channel, last_error) values (?, ?, ?, ?, ?, ?, 0, 'pending', '', '')",
        [to_sealed, to_hash, purpose, text, now, now],
    )


def _in_window(db, to_hash, now):
    """Did this person write to the account in the last 48 hours (the usage log knows)?"""
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - WINDOW_SECONDS))
    return usage.wrote_since(db, to_hash, since)


def drain(db, client, key, template_id="", now=None, limit=20):
    """Send what is due; returns how many were sent."""
    now = now or time.time()
    due = list(
        db.query(
            "select * from outbox where status = 'pending' and next_at <= ? order by id limit ?",
            [now, limit],
        )
    )
    sent = 0
    for row in due:
        claimed = db.execute(
            "update outbox set status = 'sending' where id = ? and status = 'pending'", [row["id"]]
        ).rowcount
        db.conn.commit()
        if not claimed:
            continue  # another worker took it
        try:
            openid = unseal(row["to_sealed"], key)
            text = row["text"]
            if row["purpose"] == "qrcode":  # text holds the scene; send its QR code's link
                text = qr_text(client, text)
            if _in_window(db, row["to_hash"], now):
                channel = "text"
                client.message.send_text(openid, text)
            elif template_id:
                channel = "template"
                client.message.send_template(
                    openid, template_id, {"first": {"value": text}, "remark": {"value": ""}}
                )
            else:
                raise RuntimeError("outside the 48-hour window and no GUARDIAN_TEMPLATE_ID")
        except Exception as error:  # the API's errors, the network, a bad token
            attempts = row["attempts"] + 1
            status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            db.execute(
                "update outbox set status = ?, attempts = ?, next_at = ?, last_error = ?"
                " where id = ?",
                [status, attempts, now + 5 * 2 ** (attempts - 1), str(error)[:300], row["id"]],
            )
            log.warning("outbox message %s not sent (attempt %s): %s", row["id"], attempts, error)
        else:
            db.execute(
                "update outbox set status = 'sent', channel = ?, sent_at = ?, attempts = ?"
                " where id = ?",
                [channel, time.time(), row["attempts"] + 1, row["id"]],
            )
            sent += 1
        db.conn.commit()
    return sent


def qr_text(client, scene):
    """A QR code for the scene, valid 24 hours, as a message with its link."""
    ticket = client.qrcode.create(
        {
            "expire_seconds": 24 * 3600,
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}},
        }
    )["ticket"]
    return texts.GUARDIAN_QR.format(url=client.qrcode.get_url(ticket))
