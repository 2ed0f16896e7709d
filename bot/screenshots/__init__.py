"""这条短信是不是骗子？ — a forwarded screenshot read and judged in the chat.

The image message gets an immediate passive reply; a worker (never a web worker: OCR
takes seconds) downloads the picture (size- and time-limited), reads it offline with
rapidocr's bundled PP-OCRv4 models, judges the text (bot/search/sms.py), and sends the
verdict as a customer-service message through the outbox. The picture is never stored;
the log keeps the verdict, the kind and the masked text. Off unless SCREENSHOTS is on.
"""

import datetime
import logging
import threading
import time

import requests

from bot.chat import texts
from bot.guardians import outbox
from bot.privacy import mask_numbers, seal

log = logging.getLogger(__name__)
MAX_BYTES = 5 * 1024 * 1024
DOWNLOAD_SECONDS = 5


class PictureError(Exception):
    """The picture could not be had: too large, not an image, never arrived."""


def enqueue(db, user, user_hash, media_url, media_id, key):
    db.execute(
        "insert into screenshot_jobs (user_sealed, user_hash, pic_url, media_id, created_at,"
        " status, attempts) values (?, ?, ?, ?, ?, 'pending', 0)",
        [seal(user, key), user_hash, media_url or "", media_id or "", time.time()],
    )
    return texts.SCREENSHOT_RECEIVED


def download(url, media_id, client=None):
    """The picture's bytes, at most MAX_BYTES, within DOWNLOAD_SECONDS."""
    try:
        if url:
            response = requests.get(url, timeout=DOWNLOAD_SECONDS, stream=True)
        elif media_id and client is not None:
            response = client.media.download(media_id)
        else:
            raise PictureError("no address for the picture")
        if response.status_code != 200:
            raise PictureError(f"HTTP {response.status_code}")
        if not response.headers.get("Content-Type", "").startswith("image/"):
            raise PictureError("not an image")
        data, started = b"", time.monotonic()
        for chunk in response.iter_content(64 * 1024):
            data += chunk
            if len(data) > MAX_BYTES:
                raise PictureError("too large")
            if time.monotonic() - started > DOWNLOAD_SECONDS:
                raise PictureError("too slow")
        return data
    except requests.RequestException as error:
        raise PictureError(str(error)) from None


class Reader:
    """Offline OCR (rapidocr-onnxruntime with its bundled models), loaded on first use."""

    def __init__(self):
        self._engine = None
        self._lock = threading.Lock()

    def text(self, image_bytes):
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR()
            result, _ = self._engine(image_bytes)
        return "\n".join(line[1] for line in result or [])


def verdict_text(judgement, snapshot=None, text=""):
    if judgement.verdict == "scam":
        reply = texts.SCREENSHOT_SCAM.format(kind=judgement.kind)
        if snapshot is not None:
            hit = next(
                (
                    h
                    for h in snapshot.retriever.search(text[:300], 40)
                    if snapshot.entry(h.id) and snapshot.entry(h.id).category == "fraud"
                ),
                None,
            )
            if hit is not None and hit.score >= snapshot.retriever.threshold:
                reply += texts.SCREENSHOT_SCAM_MORE.format(question=snapshot.entry(hit.id).question)
        return reply
    if judgement.verdict == "ordinary":
        return texts.SCREENSHOT_ORDINARY
    return texts.SCREENSHOT_UNREADABLE


def process(db, job, reader, judge, key, client=None, snapshot=None):
    """Read and judge one job; queue the verdict to the resident and log it. The picture
    lives only in memory here. Returns the verdict."""
    try:
        picture = download(job["pic_url"], job["media_id"], client)
        text = reader.text(picture)
        del picture
        judgement = judge.judge(text)
        reply = verdict_text(judgement, snapshot, text)
        verdict, kind = judgement.verdict, judgement.kind
    except PictureError as error:
        log.info("screenshot %s not read: %s", job["id"], error)
        text, reply, verdict, kind = "", texts.SCREENSHOT_FAILED, "failed", ""
    outbox.enqueue(db, job["user_sealed"], job["user_hash"], "screenshot", reply)
    now = datetime.datetime.now(datetime.UTC)
    local = now.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    db.execute(
        "insert into screenshot_checks (ts, day, user_hash, verdict, kind, text)"
        " values (?, ?, ?, ?, ?, ?)",
        [
            now.isoformat(timespec="seconds"),
            local.date().isoformat(),
            job["user_hash"],
            verdict,
            kind,
            mask_numbers(text)[:2000],
        ],
    )
    db.execute("update screenshot_jobs set status = 'done', pic_url = '' where id = ?", [job["id"]])
    db.conn.commit()
    return verdict


def drain(db, reader, judge, key, client=None, index=None):
    """Read every pending screenshot; each is claimed first, so workers never share one."""
    done = 0
    for job in list(db.query("select * from screenshot_jobs where status = 'pending' order by id")):
        claimed = db.execute(
            "update screenshot_jobs set status = 'reading', attempts = attempts + 1"
            " where id = ? and status = 'pending'",
            [job["id"]],
        ).rowcount
        db.conn.commit()
        if claimed:
            snapshot = index.current(db) if index is not None else None
            process(db, job, reader, judge, key, client, snapshot)
            done += 1
    return done
