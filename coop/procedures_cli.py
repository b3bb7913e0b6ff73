"""Every procedure's CLI (coop/procedures/<slug>.py), registered through the registry of procedures: adding a
procedure adds its module to coop/procedures/, nothing here."""

from __future__ import annotations

import importlib

from states.procedures import PROCEDURES

for _procedure in PROCEDURES:
    importlib.import_module(f"coop.procedures.{_procedure.slug}")
