"""SQLite's write-ahead log checkpointed beside the writer, not inside its commits.

SQLite copies its log into the database file (a checkpoint, with two fsyncs under ``synchronous=NORMAL``) in
whichever connection commits past ``wal_autocheckpoint`` pages: that commit then waits for the disk. A tick's
batch of 500 deadlines writes more than the default 1,000 pages, so every batch paid it: ~30 ms of ~150 ms.
SQLite's documentation suggests running checkpoints in a thread of their own instead
(https://sqlite.org/wal.html#application_initiated_checkpoints): a committed unit of work asks for one, and a
thread runs it with a connection of its own, while the writer goes on. The writer's own automatic checkpoint
stays, at ``AUTOCHECKPOINT_PAGES``, in case the thread ever falls behind, so the log cannot grow without end.

Durability is SQLite's under ``synchronous=NORMAL`` either way: a checkpoint only moves committed pages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

# The committing connection checkpoints only past this many pages (~40 MB of 4 KiB pages): a safety net.
AUTOCHECKPOINT_PAGES = 10_000

log = logging.getLogger(__name__)


class Checkpointer:
    """Passive checkpoints of one SQLite file, run by a thread that starts on demand and ends when idle."""

    def __init__(self, path: str, *, idle_seconds: float = 5.0, min_interval: float = 0.05):
        self.path = path
        self.idle_seconds = idle_seconds
        # Commands commit every few milliseconds: one checkpoint catches up with all committed since the last.
        self.min_interval = min_interval
        self.checkpoints = 0  # completed, for the tests and anyone curious
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """A transaction committed: checkpoint soon (never in the caller's thread)."""
        self._wanted.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=f"wal-checkpoint {self.path}", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        connection = None
        try:
            while True:
                if not self._wanted.wait(self.idle_seconds):
                    with self._lock:  # idle: end, unless a request came in meanwhile
                        if not self._wanted.is_set():
                            self._thread = None
                            return
                    continue
                self._wanted.clear()
                try:
                    if connection is None:
                        connection = self._connect()
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as error:  # the writer's own checkpoint remains; never fail a command here
                    log.warning("WAL checkpoint of %s failed: %s", self.path, error)
                time.sleep(self.min_interval)
        except Exception:
            with self._lock:
                self._thread = None
            log.exception("WAL checkpoint thread of %s stopped", self.path)
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: a database removed meanwhile is not created again, empty, by its checkpointer.
        uri = Path(self.path).resolve().as_uri() + "?mode=rw"
        connection = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection
