"""The retriever over the current knowledge, rebuilt and swapped in whole on change.

Every worker process keeps its own index and compares it with the version number in
the database; when staff change an entry the version moves, a fresh index is built in
the background, and requests keep using the old one until the new one is ready.
"""

import logging
import threading
import time
from dataclasses import dataclass

from bot.kb import entries as knowledge
from bot.search import fitcache
from bot.search.retriever import Retriever

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    version: int
    retriever: Retriever
    entries: dict  # id -> Entry

    def entry(self, entry_id):
        return self.entries.get(entry_id)


class LiveIndex:
    def __init__(
        self,
        analyzer,
        retriever_options=None,
        check_every=1.0,
        background=True,
        out_of_scope=(),
        fit_cache=None,
    ):
        self.analyzer = analyzer
        self.fit_cache = fit_cache  # a folder for fitted indexes (bot.search.fitcache)
        self.out_of_scope = list(out_of_scope)
        self.retriever_options = retriever_options or {}
        self.check_every = check_every
        self.background = background
        self._snapshot = None
        self._checked_at = 0.0
        self._building = threading.Lock()

    def build(self, db, isolate=False):
        """Build from the database now and swap it in (isolate: see fitcache.cached)."""
        version = knowledge.kb_version(db)
        entries = knowledge.active_entries(db)
        docs = [(e.id, tuple(e.all_phrasings)) for e in entries]
        options = sorted(self.retriever_options.items())
        key = fitcache.digest(docs, self.out_of_scope, options, self.analyzer.signature)
        retriever = fitcache.cached(
            self.fit_cache,
            "index",
            key,
            lambda: Retriever(self.analyzer, **self.retriever_options).fit(docs, self.out_of_scope),
            isolate=isolate,
        )
        retriever.analyzer = self.analyzer
        self._snapshot = Snapshot(version, retriever, {e.id: e for e in entries})
        log.info("knowledge index v%s: %d entries", version, len(entries))
        return self._snapshot

    def current(self, db, open_db=None):
        """The index to answer with; starts a rebuild when the database moved on."""
        if self._snapshot is None:
            return self.build(db)
        now = time.monotonic()
        if now - self._checked_at >= self.check_every:
            self._checked_at = now
            if knowledge.kb_version(db) != self._snapshot.version:
                self._refresh(db, open_db)
        return self._snapshot

    def _refresh(self, db, open_db):
        if not self._building.acquire(blocking=False):
            return  # a rebuild is already under way
        if not self.background or open_db is None:
            try:
                self.build(db)
            finally:
                self._building.release()
            return

        def rebuild():
            db = None
            try:
                db = open_db()
                self.build(db)
            except Exception:
                log.exception("knowledge index rebuild failed; keeping the old one")
            finally:
                if db is not None:
                    db.conn.close()
                self._building.release()

        threading.Thread(target=rebuild, name="index-rebuild", daemon=True).start()
