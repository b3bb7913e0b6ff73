#!/bin/sh
# docs/production.md, step 5: against the Prefect server at PREFECT_API_URL, the work pool and the deployments of
# prefect.yaml. Safe to run again (on every upgrade): each step updates in place.
set -eu
cd "$(dirname "$0")/.."
# The API's auth string (deploy/secrets.sh; COOP_AUTH_ENV_FILE names another file), unless the caller set it.
if [ -z "${PREFECT_API_AUTH_STRING:-}" ]; then
  set -a; . "${COOP_AUTH_ENV_FILE:-/etc/coop-engine/prefect-auth.env}"; set +a
fi
.venv/bin/prefect work-pool create coop --type process --overwrite   # the pool prefect.yaml names
.venv/bin/prefect --no-prompt deploy --all
.venv/bin/coop prefect setup   # the engine's automations (dead runs marked Crashed); the deployments' doors closed
