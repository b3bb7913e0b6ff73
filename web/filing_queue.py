"""Where the JSON door's filings wait for their call's writer (group commit, states/batched_filing.py).

One queue per (database, call) in each process of the application. A filing is put on its call's queue; if no
writer runs for that call, one starts (a thread of a small pool) and runs what is waiting as one batch, then what
arrived meanwhile as the next, until the queue is empty. No filing waits for company: alone, it is a batch of one
at once; while a batch is written, the next gathers by itself. Across the application's processes the call's row
(held by each batch's transaction) still makes their batches take turns.

The door awaits the filing's future without holding a thread of its own (``file``).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from states.batched_filing import BATCH_CAP, execute_batch
from states.engine import Prepared

# Writers at once in one process: one per call being filed into; more calls than this wait for a writer.
WRITERS = 8


@dataclass
class _Waiting:
    prepared: Prepared
    futures: list[Future]


@dataclass
class _Queue:
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: deque = field(default_factory=deque)  # _Waiting, in the order they came
    by_key: dict = field(default_factory=dict)  # idempotency key -> its _Waiting, while it waits
    writing: bool = False


_QUEUES: dict[tuple[str | None, str], _Queue] = {}
_QUEUES_LOCK = threading.Lock()
_WRITERS = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="coop-filing")


def submit(prepared: Prepared, *, code: str, url: str | None) -> Future:
    """Put one filing on its call's queue; its future holds its answer (the receipt) or its refusal. A retry of a
    filing still waiting (the same key, the same command: a client that timed out) waits for the same answer."""
    future: Future = Future()
    with _QUEUES_LOCK:
        queue = _QUEUES.setdefault((url, code), _Queue())
    key = prepared.key.key if prepared.key is not None else None
    with queue.lock:
        same = queue.by_key.get(key) if key is not None else None
        if same is not None and same.prepared.key.digest == prepared.key.digest:
            same.futures.append(future)
        else:
            waiting = _Waiting(prepared, [future])
            queue.waiting.append(waiting)
            if key is not None and same is None:
                queue.by_key[key] = waiting
        start, queue.writing = not queue.writing, True
    if start:
        _WRITERS.submit(_write, queue, code, url)
    return future


async def file(prepared: Prepared, *, code: str, url: str | None) -> Any:
    """The filing's answer, awaited without a thread held for it; a refusal is raised as it was decided."""
    return await asyncio.wrap_future(submit(prepared, code=code, url=url))


def _write(queue: _Queue, code: str, url: str | None) -> None:
    while True:
        with queue.lock:
            if not queue.waiting:
                queue.writing = False
                return
            batch = [queue.waiting.popleft() for _ in range(min(BATCH_CAP, len(queue.waiting)))]
            for waiting in batch:
                if waiting.prepared.key is not None and queue.by_key.get(waiting.prepared.key.key) is waiting:
                    del queue.by_key[waiting.prepared.key.key]
        try:
            outcomes = execute_batch([waiting.prepared for waiting in batch], code=code, url=url)
        except Exception as error:  # noqa: BLE001 - every filing of the batch is told, none left waiting
            outcomes = None
            failure = error
        for index, waiting in enumerate(batch):
            for future in waiting.futures:
                if outcomes is None:
                    future.set_exception(failure)
                elif outcomes[index].error is not None:
                    future.set_exception(outcomes[index].error)
                else:
                    future.set_result(outcomes[index].result)
