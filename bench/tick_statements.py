"""The statements one tick sends, on this tree and on another, over the same data: what B1's wall time can differ by.

    .venv/bin/python -m bench.tick_statements --before /path/to/a/worktree/of/main [--cases 2000 --due 200]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

``bench/ab.py`` times the tick of two trees; where their wall times differ and their CPU times do not, the
difference is the database's: this counts, for each tree, the statements of one tick firing the same due deadlines
on a copy of the same data (built by the ``--before`` tree, migrated by a newer one), by kind and table, with the
rows each carried (an ``executemany`` counts its parameter sets).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

_COUNT_CHILD = """
import json, re, sys
sys.path.insert(0, {tree!r})
from collections import Counter
from sqlalchemy import event
from sqlalchemy.engine import Engine
import flows.tick  # noqa: F401  (as the tick's flow run)
from bench.data import TICK_AT
from models.db import get_engine
from models.settings import SIMULATION, initialise_clock
from states.tick import tick
initialise_clock(get_engine({warm!r}), SIMULATION)
tick(TICK_AT, url={warm!r})  # imports, first connection
get_engine({url!r}).dispose()  # the copy at this tree's schema revision, untimed
statements, rows, counting = Counter(), Counter(), [False]
VERB = re.compile(r"(SELECT|INSERT INTO|UPDATE|DELETE FROM|BEGIN|COMMIT|SAVEPOINT|RELEASE SAVEPOINT|WITH)\\s*(\\S*)")

@event.listens_for(Engine, "before_cursor_execute")
def count(conn, cursor, statement, params, context, executemany):
    if not counting[0]:
        return
    text = statement.strip()
    found = VERB.match(text)
    if found is None:
        kind = text.split()[0]
    elif found.group(1) == "SELECT":
        table = re.search(r"FROM\\s+(\\S+)", text)
        kind = "SELECT " + (table.group(1) if table else "")
    else:
        kind = found.group(1) + " " + (found.group(2) if not found.group(1).startswith(("SAVEPOINT", "RELEASE")) else "")
    statements[kind] += 1
    rows[kind] += len(params) if executemany and isinstance(params, (list, tuple)) else 1

counting[0] = True
report = tick(TICK_AT, url={url!r})
counting[0] = False
print(json.dumps({{"fired": report.fired, "statements": statements, "rows": rows}}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the other tree (e.g. a git worktree of main)")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from bench.ab import _BUILD_CHILD, _child
    from bench.data import Databases

    sides = {"before": str(Path(args.before).resolve()), "after": str(HERE)}
    dbs = Databases(args.database_url)
    try:
        template = dbs.blank("st")
        _child(_BUILD_CHILD.format(tree=sides["before"], url=template, cases=args.cases, due=args.due),
               sides["before"])
        out = {}
        for side, tree in sides.items():
            copy = dbs.copy(template, f"st_{side}", opened=False)
            out[side] = _child(_COUNT_CHILD.format(tree=tree, warm=dbs.blank(f"st_warm_{side}"), url=copy), tree)
    finally:
        dbs.drop_all()
    print(f"[{dbs.backend}] {args.cases:,} live / {args.due:,} due; fired: before {out['before']['fired']}, "
          f"after {out['after']['fired']}")
    print(f"{'statement':<44} {'before: sent / rows':>20} {'after: sent / rows':>20}")
    totals = {side: [0, 0] for side in sides}
    for kind in sorted(set(out["before"]["statements"]) | set(out["after"]["statements"])):
        cells = []
        for side in sides:
            sent, carried = out[side]["statements"].get(kind, 0), out[side]["rows"].get(kind, 0)
            totals[side][0] += sent
            totals[side][1] += carried
            cells.append(f"{sent:>9} / {carried:>8}")
        print(f"{kind[:44]:<44} {cells[0]:>20} {cells[1]:>20}")
    print(f"{'in all':<44} {totals['before'][0]:>9} / {totals['before'][1]:>8} "
          f"{totals['after'][0]:>9} / {totals['after'][1]:>8}")


if __name__ == "__main__":
    main()
