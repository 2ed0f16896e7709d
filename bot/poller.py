"""A background thread that runs one step every few seconds on its own database
connection and API client, until stopped: the outbox sender and the screenshot reader."""

import logging
import threading

log = logging.getLogger(__name__)


class Poller(threading.Thread):
    def __init__(self, name, open_db, client_factory, step, poll=0.5):
        """step(db, client) does one round of work; an error in it is logged, rolled back
        and tried again on the next round."""
        super().__init__(name=name, daemon=True)
        self.open_db, self.client_factory, self.step, self.poll = (
            open_db,
            client_factory,
            step,
            poll,
        )
        self.stopped = threading.Event()

    def run(self):
        db, client = self.open_db(), self.client_factory()
        try:
            while not self.stopped.is_set():
                try:
                    self.step(db, client)
                except Exception:
                    log.exception("%s failed; trying again", self.name)
                    db.conn.rollback()
                self.stopped.wait(self.poll)
        finally:
            db.conn.close()

    def stop(self):
        self.stopped.set()
        self.join(10)
