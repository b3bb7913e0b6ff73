#!/bin/sh
# docs/production.md, step 2: the engine's virtual environment from pyproject.toml, in this checkout.
# EXTRAS='[ha]' adds prefect-redis for two Prefect servers (docs/production.md, "Two Prefect servers").
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e ".${EXTRAS:-}"
