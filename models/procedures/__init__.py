"""Each procedure's own tables: one module a procedure, named as its package in states/procedures/
(``models/procedures/small_grant.py`` holds the small grant's ledger, offers and comments).

A procedure's case is a ``Case`` row (its state, history, deadlines, publications); its module here holds the facts
a case needs beyond ``Case.data``: the rows that are queried, summed or answered one by one. A procedure that keeps
no rows of its own has no module. Tables several procedures use stay in models/tables.py (``Case``, ``Deadline``,
``Publication``, and the open call's ``Offer``, ``Contract``, ``Report``, committee and scores, which the regranting
operator's call runs too, art. 16a ust. 1) or in their own shared modules (models/filing_tables.py: the offers
filed through the portal, the open call's and the small grant's alike).

This package imports none of its modules itself; ``modules()`` imports them all, with no list to edit when a
procedure is added, for models/schema.py (the whole schema: the migrations' metadata, the tests' empty tables, the
bench's data). models/tables.py loads that schema once it is defined: shared rows point at some of these (a report
at its local initiative, a filed version at its small grant offer), and a foreign key resolves only when its table
is in the metadata.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> tuple[ModuleType, ...]:
    """Every procedure's table module, imported, in the order of their names."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.ispkg)
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in names)
