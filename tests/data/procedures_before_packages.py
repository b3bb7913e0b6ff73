"""How tests/data/procedures_before_packages.json was made, with the engine as it was before the procedures moved
into packages (commit e418bc5; bench/data.py then imported states.procedure_commands):

    git worktree add /tmp/before e418bc5 && cd /tmp/before
    COOP_SIMULATION=1 PYTHONPATH=. python <this file> /tmp/before.db procedures_before_packages.json

Every procedure's history (bench/data.py's templates: open call, small grant, consultation, local initiative,
regranting with its micro-grants), exported as `coop audit export` does, with the compliance findings of the time.
"""

import json
import sys
from pathlib import Path

from bench.data import build_templates
from models.db import get_engine
from states.auditing.compliance import check_export
from states.auditing.history import export_history
from states.engine import Actor, execute

url = f"sqlite:///{sys.argv[1]}"
get_engine(url)
codes = build_templates(url)
auditor = Actor("Rewident RIO", "auditor")
exports, findings = {}, {}
for code in sorted(codes.values()):
    export = execute(export_history, code, actor=auditor, url=url, readonly=True, at="2026-12-01T10:00+01:00")
    exports[code] = export
    findings[code] = [f.as_dict() for f in check_export(export)]
out = {"made_by": "tests/data/procedures_before_packages.py at commit e418bc5 (before states/procedures/)",
       "templates": codes, "exports": exports, "findings": findings}
Path(sys.argv[2]).write_text(json.dumps(out, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
print({k: len(v["chains"]) for k, v in exports.items()}, {k: len(v) for k, v in findings.items()})
