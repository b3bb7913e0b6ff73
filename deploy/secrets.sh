#!/bin/sh
# docs/production.md, step 3: the engine's two secrets, made once, 0600 from creation, never printed.
#   /etc/coop-engine/prefect-auth.env  the Prefect API's auth string: PREFECT_SERVER_API_AUTH_STRING for the server,
#                                      PREFECT_API_AUTH_STRING (the same value) for every client (workers, coop);
#                                      an EnvironmentFile of both units
#   /etc/coop-engine/form-proof-key    the key that signs proofs of who answered a form (COOP_FORM_PROOF_KEY_FILE in
#                                      coop.env); read by the engine only, never given to Prefect
# COOP_ETC names another directory. An existing file is kept: to replace a secret, delete its file and run again
# (then restart the units; proofs signed with the old key stop working). A file others may read is refused.
set -eu
etc="${COOP_ETC:-/etc/coop-engine}"
umask 077
"$(dirname "$0")/../.venv/bin/python" - "$etc" <<'PY'
import os, secrets, stat, sys
from pathlib import Path

etc = Path(sys.argv[1])
files = {
    etc / "prefect-auth.env": lambda: (lambda s: "# The Prefect API's auth string (docs/production.md); never print it.\n"
                                        f"PREFECT_SERVER_API_AUTH_STRING={s}\nPREFECT_API_AUTH_STRING={s}\n")(
                                        "coop:" + secrets.token_urlsafe(32)),
    etc / "form-proof-key": lambda: secrets.token_urlsafe(32) + "\n",
}
for path, make in files.items():
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(make())
        print(f"made {path} (0600)")
    elif stat.S_IMODE(path.stat().st_mode) & 0o077:
        sys.exit(f"error: {path} may be read by other users; run: chmod 600 {path} "
                 "(and replace the secret if it may have leaked: delete the file and run this again)")
    else:
        print(f"kept {path}")
PY
