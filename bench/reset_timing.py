"""How long the portal's "forgotten password" answer takes for a name that has an account and for one that has not
(web/portal_password_reset.py), over real HTTP (uvicorn): the answer leaves before the account is looked for, so
the page's timing does not tell which logins and addresses exist. Beside it, how long the request's work itself
takes for each (what the answer would show if it waited for the work).

    .venv/bin/python bench/reset_timing.py                     # SQLite in a temp dir, 40 requests each, alternating

Figures are printed (medians and 90th percentiles, ms), never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["COOP_SIMULATION"] = "1"
os.environ.setdefault("COOP_DESK_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="coop-bench-reset-")) / "desk-key"))


def measure(server_url: str, db_url: str, requests: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    import httpx

    from states import password_reset
    from tests.test_portal_accounts import csrf_of

    answers: dict[str, list[float]] = {"known": [], "unknown": []}
    work: dict[str, list[float]] = {"known": [], "unknown": []}
    real = password_reset.ask_by_name

    def timed(name, *, url=None):
        started = time.perf_counter()
        try:
            return real(name, url=url)
        finally:
            work["known" if name == "jan.nowak" else "unknown"].append((time.perf_counter() - started) * 1000)

    password_reset.ask_by_name = timed
    with httpx.Client(base_url=server_url, timeout=30) as browser:
        page = browser.get("/portal/haslo")
        for i in range(requests * 2):
            kind = ("known", "unknown")[i % 2]
            name = "jan.nowak" if kind == "known" else f"nikt{i}"
            started = time.perf_counter()
            answer = browser.post("/portal/haslo", data={"csrf": csrf_of(page.text), "name": name})
            answers[kind].append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.status_code
            time.sleep(0.05)  # let the work after the answer end: each request is measured alone
    password_reset.ask_by_name = real
    return answers, work


def _row(took: dict[str, list[float]]) -> str:
    return ", ".join(f"{kind}: median {median(v):.1f} ms, p90 {sorted(v)[int(len(v) * 0.9)]:.1f} ms"
                     for kind, v in took.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests of each kind")
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='coop-bench-reset-')) / 'coop.db'}"

    from states import password_reset
    from tests.conftest import empty_tables
    from tests.test_portal_accounts import registered
    empty_tables(url)
    registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    # the limits of a person's links and of a client's requests raised: this measures the answer, not the limiter
    password_reset.LINKS_PER_ACCOUNT = password_reset.RESETS_PER_CLIENT = password_reset.RESETS_PER_NAME = 10 ** 6
    from tests.browser import LiveServer
    from web.app import create_app

    server = LiveServer(create_app(url)).start()
    try:
        answers, work = measure(server.url, url, args.requests)
    finally:
        server.stop()
    print(f"the answer (what the asker times): {_row(answers)}")
    print(f"the work after it (never in the answer): {_row(work)}")

if __name__ == "__main__":
    main()
