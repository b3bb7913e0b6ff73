#!/bin/sh
# docs/production.md, step 5: against the Prefect server at PREFECT_API_URL, the work pool and the deployments of
# prefect.yaml. Safe to run again (on every upgrade): each step updates in place.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/prefect work-pool create coop --type process --overwrite   # the pool prefect.yaml names
.venv/bin/prefect --no-prompt deploy --all
.venv/bin/coop prefect setup   # the engine's automations (deploy/automations/): dead runs marked Crashed
