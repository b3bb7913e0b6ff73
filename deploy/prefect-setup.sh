#!/bin/sh
# docs/production.md, step 5: against the Prefect server at PREFECT_API_URL, the work pool, the deployments of
# prefect.yaml and the engine's automations. Safe to run again (on every upgrade): each step updates in place.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/prefect work-pool create "${COOP_WORK_POOL:-coop}" --type process --overwrite
.venv/bin/prefect --no-prompt deploy --all
