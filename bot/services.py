"""The per-process pieces of the service, built once by the app factory."""

import contextlib
import functools
import logging
import sqlite3
import threading
import time
from pathlib import Path

from bot import db as database
from bot import schema, screenshots, usage
from bot.chat import texts
from bot.chat.dialogue import Dialogue, Reply
from bot.config import wechat_mode
from bot.guardians import Guardians, outbox
from bot.kb import entries as knowledge
from bot.kb.check import check_files, confusable_problems
from bot.kb.index import LiveIndex
from bot.outcomes import Outcome
from bot.poller import Poller
from bot.privacy import user_hash
from bot.search import fitcache, models
from bot.search.nlp import Analyzer
from bot.wechat import dedup
from bot.wechat.api import ApiClient, SqliteTokenStorage
from bot.wechat.protocol import Protocol

log = logging.getLogger(__name__)


def fitted_models(knowledge_dir, entries, fit_cache=None):
    """The fraud alarm, emergency detector, small-talk matcher and SMS judge for a
    knowledge folder: fitted once per process for the same files (tests and the staff
    pages build many apps on one folder), and kept on disk between starts."""
    base = Path(knowledge_dir).resolve()
    stamp = tuple((f.name, f.stat().st_mtime_ns) for f in models.example_paths(base) if f.exists())
    phrasings = tuple(p for e in entries for p in e.all_phrasings)
    return _fitted_models(base, stamp, phrasings, fit_cache)


@functools.lru_cache(maxsize=4)
def _fitted_models(base, stamp, phrasings, fit_cache):
    # At a start (no threads yet): a missing fit is made in a child process.
    return models.load_or_fit(base, phrasings, fit_cache, isolate=True)


class StorageHealth:
    """Whether the database takes writes. A failure is logged once when it starts and once
    when it ends, not once per message: a full disk under load would drown the log."""

    def __init__(self):
        self.failing = False

    def failed(self, error):
        if not self.failing:
            log.error(
                "database cannot be written (%s): answering without retry dedup,"
                " conversation state or usage log until it can",
                error,
            )
        self.failing = True

    def recovered(self):
        if self.failing:
            log.warning("database writable again: dedup, state and usage log resumed")
        self.failing = False


class Services:
    def __init__(self, settings):
        started = time.monotonic()
        self.settings = settings
        self.db_path = settings["BOT_DATABASE"]
        self._local = threading.local()
        self.analyzer = Analyzer.from_directory(settings["KNOWLEDGE_DIR"])
        entries, problems = check_files(settings["KNOWLEDGE_DIR"])
        if problems:
            raise knowledge.KnowledgeError(problems)
        with database.file_lock(self.db_path):
            db = self.db()
            schema.migrate(db)
            problems = knowledge.missing_file_problems(db, settings["KNOWLEDGE_DIR"])
            if problems:
                raise knowledge.KnowledgeError(problems)
            knowledge.sync_from_files(db, entries)
        self.protocol = Protocol(
            settings["WECHAT_TOKEN"],
            settings["WECHAT_AES_KEY"],
            settings["WECHAT_APPID"],
            settings["WECHAT_TIMESTAMP_WINDOW"],
            wechat_mode(settings),
        )
        self.index = LiveIndex(
            self.analyzer,
            retriever_options={"margin": settings["CHOICE_MARGIN"]},
            background=settings.get("INDEX_BACKGROUND", True),
            out_of_scope=knowledge.load_out_of_scope(settings["KNOWLEDGE_DIR"]),
            fit_cache=settings["FIT_CACHE_DIR"],
        )
        snapshot = self.index.build(self.db(), isolate=True)
        # The near-duplicate check reuses the live index instead of fitting another, and
        # is kept with the fits: the same entries give the same answer.
        key = fitcache.digest(
            [(e.id, e.question, tuple(e.all_phrasings), e.origin_file) for e in entries],
            self.analyzer.signature,
            settings["CHOICE_MARGIN"],
        )
        problems = fitcache.cached(
            settings["FIT_CACHE_DIR"],
            "confusable",
            key,
            lambda: confusable_problems(entries, self.analyzer, snapshot.retriever),
        )
        if problems:
            raise knowledge.KnowledgeError(problems)
        fitted = fitted_models(settings["KNOWLEDGE_DIR"], entries, settings["FIT_CACHE_DIR"])
        self.sms_judge = fitted.sms_judge
        self.dialogue = Dialogue(
            self.index, fitted.alarm, settings, fitted.emergency, fitted.small_talk
        )
        self.guardians = Guardians(settings) if settings.get("GUARDIANS") else None
        self.storage = StorageHealth()
        # Close the start-up connection: gunicorn may fork workers from this process
        # (preload_app), and an SQLite connection must not cross a fork.
        self._local.db.conn.close()
        self._local = threading.local()
        self.startup_seconds = time.monotonic() - started

    def db(self):
        """This thread's connection to the shared SQLite file."""
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = self._local.db = database.connect(self.db_path)
        return conn

    def respond(self, message, commit=True):
        """The dialogue's reply. Its conversation state and feedback are committed unless
        the caller commits them with its own writes (the webhook does)."""
        db = self.db()
        reply = self.dialogue.respond(message, db, open_db=lambda: database.connect(self.db_path))
        if commit:
            db.conn.commit()
        return reply

    def user_hash(self, openid):
        """The pseudonymous id every table keeps instead of the openid."""
        return user_hash(openid, self.settings["USER_HASH_KEY"])

    def handle(self, message, key, signature=None):
        """One WeChat message, start to end, in two transactions: the signature's nonce
        and the retry claim; then the dialogue, and its state, the reply for retries and
        the usage row committed together.

        signature: (nonce, timestamp, body); a nonce already used with another body
        raises dedup.Replayed. A database that cannot be written (read-only, disk full,
        I/O error) costs the replay check, the dedup record, the state and the log row,
        never the reply.
        """
        started = time.perf_counter()
        db = self.db()
        window = 2 * self.settings["WECHAT_TIMESTAMP_WINDOW"]
        try:
            with database.write_transaction(db):
                if signature and not dedup.first_use_of_signature(db, *signature, window):
                    raise dedup.Replayed()
                first = dedup.claim(db, key)
        except sqlite3.Error as error:
            self._storage_failed(db, error)
            first = True
        if not first:
            stored = dedup.wait_for_reply(db, key, self.settings["DEDUP_WAIT_SECONDS"])
            if stored is not None:
                text, transfer = stored
                return Reply(text, Outcome.RETRY, transfer=transfer)
            # The first delivery never finished (its worker died): answer this one.
        write = None
        try:
            reply, write = self._decide(message, db)
        except Exception:
            log.exception("dialogue failed for %s", key)
            self._rollback(db)
            reply = Reply(texts.SORRY, Outcome.ERROR)
        try:
            with database.write_transaction(db):  # state, reply and usage row, together
                if write is not None:
                    write(db)
                told = self._tell_family(db, message, reply)
                dedup.store_reply(db, key, told.text, told.transfer)
                usage.record(
                    db,
                    hash_key=self.settings["USER_HASH_KEY"],
                    user=message.user,
                    msg_type=message.kind,
                    event=message.event,
                    text=message.text,
                    outcome=told.outcome,
                    category=told.category,
                    entry_id=told.entry_id,
                    score=told.score,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    msg_key=key,
                    alarm=told.alarm,
                )
            reply = told
            self.storage.recovered()
        except sqlite3.Error as error:
            self._storage_failed(db, error)
        return reply

    def _decide(self, message, db):
        """A guardian command when guardians are on, else the dialogue's reply."""
        if self.guardians is not None and self.guardians.may_be_command(message):
            # Its own short transaction: a command's writes land whole; other messages
            # leave it at once, and the dialogue below runs without holding the lock.
            with database.write_transaction(db):
                text = self.guardians.reply(db, message.user, self.user_hash(message.user), message)
            if text is not None:
                return Reply(text, Outcome.GUARDIAN), lambda db: None
        if message.kind == "image" and self.settings.get("SCREENSHOTS"):
            with database.write_transaction(db):
                text = screenshots.enqueue(
                    db,
                    message.user,
                    self.user_hash(message.user),
                    message.media_url,
                    message.media_id,
                    self.settings["USER_HASH_KEY"],
                )
            return Reply(text, Outcome.SCREENSHOT), lambda db: None
        return self.dialogue.decide(message, db, open_db=lambda: database.connect(self.db_path))

    def _tell_family(self, db, message, reply):
        """After a fraud alarm or a call for a person, queue a word to the guardians."""
        if self.guardians is None or not (reply.alarm or reply.outcome == Outcome.HUMAN):
            return reply
        kind = "scam" if reply.alarm else "human"
        if not self.guardians.alert(db, self.user_hash(message.user), kind):
            return reply
        told = texts.GUARDIAN_TOLD
        if reply.text.startswith(texts.ALARM):  # right under the alarm, never cut off
            text = texts.ALARM + told + reply.text[len(texts.ALARM) :]
        else:
            text = reply.text + told
        return Reply(**{**reply.__dict__, "text": text})

    def api_client(self):
        """WeChat's API client, its token shared through the database by every worker."""
        storage = SqliteTokenStorage(lambda: database.connect(self.db_path))
        return ApiClient(
            self.settings["WECHAT_APPID"],
            self.settings["WECHAT_SECRET"],
            self.settings["WECHAT_API_BASE"],
            session=storage,
        )

    def outbox_worker(self, poll=0.5):
        """A started thread that sends the outbox (guardian messages, verdicts)."""
        key, template = self.settings["USER_HASH_KEY"], self.settings["GUARDIAN_TEMPLATE_ID"]
        return self._start(
            "outbox", lambda db, client: outbox.drain(db, client, key, template), poll
        )

    def screenshot_worker(self, poll=0.3):
        """A started thread that reads forwarded screenshots (never in a web worker)."""
        key = self.settings["USER_HASH_KEY"]

        def step(db, client):
            screenshots.drain(db, self.reader, self.sms_judge, key, client, self.index)

        return self._start("screenshots", step, poll)

    def _start(self, name, step, poll):
        worker = Poller(name, lambda: database.connect(self.db_path), self.api_client, step, poll)
        worker.start()
        return worker

    @functools.cached_property
    def reader(self):
        return screenshots.Reader()

    def _storage_failed(self, db, error):
        self._rollback(db)
        self.storage.failed(error)

    @staticmethod
    def _rollback(db):
        with contextlib.suppress(sqlite3.Error):
            db.conn.rollback()


EXTENSION = "silverhelper"


def of(app):
    """An app's Services, or None when its knowledge base could not load."""
    return app.extensions.get(EXTENSION)


def current():
    """The running app's Services, for any view or command; 503 when the knowledge base
    could not load (`flask --app server kb check` says why)."""
    from flask import abort, current_app

    found = of(current_app)
    if found is None:
        abort(503, "the knowledge base is invalid: run `flask --app server kb check`")
    return found
