"""The order in which ``make test`` hands the test files to its processes (pytest-xdist ``--dist loadfile
--no-loadscope-reorder``): longest first.

xdist gives each process whole files from one queue, in the collection's order, the next file when a process is
down to its last two tests. With the longest files first (the longest-processing-time rule), they start at once
on every process and the many short files fill in at the end, so the processes finish together. xdist's own
order (the files with most tests first) put the files with a few long tests (the desk walked in Chromium, the
production runbook, ``coop serve``) last, where one process ran them alone while the other had finished.

Without xdist (``pytest tests/x.py``, ``-p no:xdist``) the order is left as collected.
"""

from __future__ import annotations

# Run apart, in make test's second run (see the Makefile); named here so that, run with the others, they come first.
FRESH_PROCESS_FIRST = ("tests/test_forms_suspended.py", "tests/test_liveness.py")

# The longest files, longest first: about how many seconds each takes on a quiet 2-core machine (from CI's
# 20 slowest tests of 2026-12-06 and single-file runs; only the order matters; the plain files from the per-file
# times of 2026-12-07, after tests/cli_runner.py took test_messages.py under 20 s). A file not named here comes after
# these: first the ones with a browser or a Prefect server (slow by nature), then the rest, most tests first.
# Name a new file here once it takes more than ~30 s.
LONGEST = {
    "tests/test_production.py": 150,
    "tests/test_desk_evaluation_browser.py": 75,
    "tests/test_flows.py": 70,
    "tests/test_desk_serve_restart_browser.py": 65,
    "tests/test_readme_walkthrough.py": 60,
    "tests/test_idempotency.py": 60,  # real `coop` processes through a proxy, and the CLI's 3 s backoff
    "tests/test_portal_offers_browser.py": 55,
    "tests/test_crash.py": 55,
    "tests/test_serve.py": 50,
    "tests/test_prefect_quiet.py": 45,
    "tests/test_waiting_rows.py": 45,
    "tests/test_browser_infra.py": 40,
    "tests/test_dispatch_faults.py": 40,
    "tests/test_desk_forms.py": 35,
    "tests/test_bad_input.py": 35,
}
SLOW_FIXTURES = frozenset({"prefect_api", "browser", "live_server", "new_context"})


def longest_first(config, items: list) -> None:
    """Sort ``items`` (in place) file by file into the order above; the tests of a file keep their order."""
    if not hasattr(config, "workerinput"):  # not an xdist worker: the workers' collections are what xdist hands out
        return
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def rank(path: str) -> tuple:
        if path in FRESH_PROCESS_FIRST:
            return (0, FRESH_PROCESS_FIRST.index(path), 0, path)
        if path in LONGEST:
            return (1, -LONGEST[path], 0, path)
        slow = any(SLOW_FIXTURES & set(item.fixturenames) for item in files[path])
        return (2 if slow else 3, -len(files[path]), 0, path)

    items[:] = [item for path in sorted(files, key=rank) for item in files[path]]
