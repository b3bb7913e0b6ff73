"""What the daily anchor costs (states/anchors.py): making the day's anchor over N cases (one query for every
head, the signature, the row, the file), every other tick of the day (the file is there), and checking a
history against the anchor (`coop audit verify --anchors`'s part beyond the plain chains).

    .venv/bin/python bench/anchor_cost.py --cases 1000                   # SQLite in a temp dir
    .venv/bin/python bench/anchor_cost.py --cases 1000 --database-url postgresql://postgres@127.0.0.1:5432/coop_bench_anchor

The cases are written directly (one record's head each): the anchor reads only the case rows. The database is
emptied first. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["COOP_SIMULATION"] = "1"  # the anchors claim moments of 2026: a new database becomes a simulation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="engine database (default: a fresh SQLite file)")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--days", type=int, default=5, help="anchors made (one a day), for the median")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="coop-bench-anchor-"))
    url = args.database_url or f"sqlite:///{folder / 'coop.db'}"

    import sqlalchemy as sa

    from models.db import get_engine, normalise_url
    from models.tables import AuditRecord, Case
    from states import anchors
    from states.clock import claimed_moment
    from states.engine import Actor, execute
    from tests.conftest import empty_tables

    empty_tables(url)
    engine = get_engine(normalise_url(url))
    made = datetime(2026, 1, 2, tzinfo=UTC)
    with engine.begin() as conn:
        ids = conn.execute(sa.insert(Case.__table__).returning(Case.__table__.c.id), [
            {"code": f"OK/2026/{n:05d}", "kind": "open_call", "title": "t", "task_area": "", "budget": Decimal("0"),
             "state": "announced", "mode": "support", "receipt_rule": "received", "settings": {}, "data": {},
             "audit_seq": 1, "audit_head": f"{n:064x}", "row_version": 1, "created_at": made}
            for n in range(1, args.cases + 1)]).scalars().all()
        conn.execute(sa.insert(AuditRecord.__table__), [
            {"case_id": case_id, "seq": 1, "at": made, "recorded_at": made, "actor": "a", "role": "officer",
             "event": "create", "subject": "case", "basis": "", "payload": {}, "prev_hash": "0" * 64,
             "hash": f"{n:064x}"} for n, case_id in enumerate(ids, 1)])
    key = anchors.init_key(folder / "key" / "anchor-key.pem")
    published = folder / "anchors"

    making, again = [], []
    for day in range(1, args.days + 1):
        moment = claimed_moment(f"2026-12-{day:02d}T08:00+01:00")
        started = time.perf_counter()
        outcome = anchors.daily_anchor(moment, url=url, key_file=Path(key["key_file"]), directory=published)
        making.append(time.perf_counter() - started)
        assert outcome["status"] == "made", outcome
        started = time.perf_counter()
        anchors.daily_anchor(moment, url=url, key_file=Path(key["key_file"]), directory=published)
        again.append(time.perf_counter() - started)

    pin = anchors.Pin.of([Path(key["public_key_file"])], [])
    started = time.perf_counter()
    good, bad = anchors.read_anchors(published, pin)
    reading = time.perf_counter() - started
    started = time.perf_counter()
    broken = execute(anchors.verify_anchored, (good, None), actor=Actor("bench", "auditor"), url=url, readonly=True)
    comparing = time.perf_counter() - started
    assert not bad and not broken
    size = (published / "2026-12-01.json").stat().st_size
    print(f"database: {engine.dialect.name}; cases: {args.cases}; anchors: {args.days}")
    print(f"make the day's anchor (median of {args.days}): {median(making) * 1000:.1f} ms")
    print(f"every later tick that day (median): {median(again) * 1e6:.0f} µs")
    print(f"anchor file: {size:,} bytes")
    print(f"read and check {len(good)} anchor files (signatures, digests): {reading * 1000:.1f} ms")
    print(f"compare the history with them (one query): {comparing * 1000:.1f} ms")


if __name__ == "__main__":
    main()
