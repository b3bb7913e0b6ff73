"""How long the portal's "forgotten password" answer takes for a name that has an account and for one that has not
(web/portal_password_reset.py): equal answers, no sooner than ``ANSWER_FLOOR``, so the page's timing does not tell
which logins and addresses exist. The same measured with the floor off, to show what it hides.

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


def measure(url: str, requests: int) -> dict[str, list[float]]:
    from tests.test_portal_accounts import client, csrf_of
    from web import portal_password_reset

    took: dict[str, list[float]] = {"known": [], "unknown": []}
    c = client(url)
    page = c.get("/portal/haslo")
    for i in range(requests * 2):
        kind = ("known", "unknown")[i % 2]
        name = "jan.nowak" if kind == "known" else f"nikt{i}"
        started = time.perf_counter()
        answer = c.post("/portal/haslo", data={"csrf": csrf_of(page.text), "name": name})
        took[kind].append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (answer.status_code, portal_password_reset.ANSWER_FLOOR)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests of each kind")
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='coop-bench-reset-')) / 'coop.db'}"

    from states import password_reset
    from tests.conftest import empty_tables
    from tests.test_portal_accounts import registered
    from web import portal_password_reset

    empty_tables(url)
    registered(url, "jan.nowak", "Jan Nowak", "jan@example.org")
    # the limits of a person's links and of a client's requests raised: this measures the answer, not the limiter
    password_reset.LINKS_PER_ACCOUNT = password_reset.RESETS_PER_CLIENT = password_reset.RESETS_PER_NAME = 10 ** 6
    floor = portal_password_reset.ANSWER_FLOOR
    for label, value in (("floor off", 0.0), (f"floor {floor * 1000:.0f} ms", floor)):
        portal_password_reset.ANSWER_FLOOR = value
        took = measure(url, args.requests)
        row = ", ".join(f"{kind}: median {median(v):.1f} ms, p90 {sorted(v)[int(len(v) * 0.9)]:.1f} ms"
                        for kind, v in took.items())
        print(f"{label}: {row}")


if __name__ == "__main__":
    main()
