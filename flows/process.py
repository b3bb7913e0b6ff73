"""What a flow-run process sets up once, before its work: the interpreter's settings, never the domain's.

Invariant 11 keeps interpreter tuning out of the domain (``tests/test_no_internals.py``: no ``gc`` in
``states/`` or ``models/``); a process that knows it will live long and churn through large batches sets
itself up here, at its door.
"""

from __future__ import annotations

import gc
from functools import cache


@cache
def settle_after_imports() -> None:
    """Leave what the process has imported out of the garbage collector's full collections, once.

    A flow run is a process of its own (Prefect runs each in a subprocess), and its modules, classes and
    caches (with Prefect's, ~200,000 objects) live as long as it does. While a tick's batch keeps thousands of
    rows alive, full collections walked them all: ~20 % of a tick's CPU time (``bench/ab.py``, 2,000 due of
    20,000 live on SQLite, median of 4: 0.99 s without, 0.76 s with). ``gc.freeze`` after start-up is the
    Python documentation's own use of it; collection itself runs as usual."""
    gc.freeze()
