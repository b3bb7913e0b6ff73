"""A flow-run process leaves what it imported out of full garbage collections (flows/process.py), once, at its
door; the domain itself never tunes the interpreter (tests/test_no_internals.py)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc
import flows.tick
from flows.process import settle_after_imports
before = gc.get_freeze_count()
settle_after_imports()
once = gc.get_freeze_count()
settle_after_imports()
print(before, once, gc.get_freeze_count(), gc.isenabled())
"""


def test_a_flow_run_process_freezes_what_it_imported_once_and_still_collects():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    before, once, again, enabled = out.split()
    assert int(before) == 0
    assert int(once) > 10_000  # the modules, classes and caches of Prefect, SQLAlchemy and the engine
    assert again == once  # once per process: a second flow run in it adds nothing
    assert enabled == "True"


def test_the_tick_flow_sets_its_process_up():
    import inspect

    from flows.tick import tick_flow

    assert "settle_after_imports()" in inspect.getsource(tick_flow.fn)
