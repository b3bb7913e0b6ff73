#!/bin/sh
# docs/production.md, step 3: the engine's database made a REAL one (once; it never becomes a simulation, so
# no demo data can be loaded into it) and migrated to the installed version's schema (on every upgrade).
# Reads COOP_DATABASE_URL (from /etc/coop-engine/coop.env).
set -eu
cd "$(dirname "$0")/.."
.venv/bin/coop db init --real
.venv/bin/coop db upgrade
