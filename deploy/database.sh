#!/bin/sh
# docs/production.md, step 3: the engine's database made a REAL one (once; it never becomes a simulation, so
# no demo data can be loaded into it) and migrated to the installed version's schema (on every upgrade).
# Reads COOP_DATABASE_URL (from /etc/coop-engine/coop.env) and, when the engine connects as a role of its own,
# COOP_DATABASE_OWNER_URL (from /etc/coop-engine/owner.env, readable by root only): then both commands migrate
# as the owner and grant the engine's role what it may do, the history insert-only (models/roles.py).
set -eu
cd "$(dirname "$0")/.."
.venv/bin/coop db init --real
.venv/bin/coop db upgrade
