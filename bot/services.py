"""The per-process pieces of the service, built once by the app factory."""

import logging
import threading
import time
from pathlib import Path

from . import db as database
from . import knowledge
from .alarm import FraudAlarm
from .dialog import Dialogue
from .index import LiveIndex
from .kbcheck import check_files, confusable_problems
from .nlp import Analyzer
from .wechat import Protocol

log = logging.getLogger(__name__)


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
            database.migrate(db)
            knowledge.sync_from_files(db, entries)
        self.protocol = Protocol(
            settings["WECHAT_TOKEN"],
            settings["WECHAT_AES_KEY"],
            settings["WECHAT_APPID"],
            settings["WECHAT_TIMESTAMP_WINDOW"],
        )
        self.index = LiveIndex(
            self.analyzer,
            background=settings.get("INDEX_BACKGROUND", True),
            out_of_scope=knowledge.load_out_of_scope(settings["KNOWLEDGE_DIR"]),
        )
        snapshot = self.index.build(self.db())
        # The near-duplicate check reuses the live index instead of fitting another.
        problems = confusable_problems(entries, self.analyzer, snapshot.retriever)
        if problems:
            raise knowledge.KnowledgeError(problems)
        alarm = FraudAlarm.from_file(Path(settings["KNOWLEDGE_DIR"]) / "fraud_examples.tsv")
        self.dialogue = Dialogue(self.index, alarm, settings)
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
