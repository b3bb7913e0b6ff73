"""``coop form proof``: the code a person pastes into a form waiting in Prefect, proving who answers it.

The person is the CLI's own (``--actor``/``--role``, ``COOP_ACTOR``/``COOP_ROLE``, else the OS account), who may
then answer exactly that form of that run for a few minutes (states/form_proofs.py). Prefect is not imported:
the run's id and the form's key are in the form's description.
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from coop.cli import _invocation, command, current_principal, group, show
from states.errors import InvalidInput
from states.text import tr

form_app = group("form", "Forms waiting in Prefect (reviews, declarations, scores, officers' steps): proofs of who "
                         "answers them.")

FORM_KEY = re.compile(r"[a-z]+-[0-9]{1,4}")


@command(form_app, "proof")
def form_proof(flow_run_id: Annotated[str, typer.Argument(help="The flow run's id (in the form's description).")],
               form: Annotated[str, typer.Argument(help="The form's key, e.g. score-2 (in the form's description).")],
               minutes: Annotated[int, typer.Option(min=1, max=1440, help="How long the proof is valid.")] = 15,
               ) -> None:
    """Print a proof that you answer this form of this flow run: paste it into the form's proof field."""
    from states.form_proofs import issue_form_proof

    try:
        run = str(uuid.UUID(flow_run_id.strip()))
    except ValueError:
        raise InvalidInput("form_proof_run", tr("{value} is not a flow run's id (a UUID, as in the form's "
                                                "description)", value=flow_run_id)) from None
    if not FORM_KEY.fullmatch(form.strip()):
        raise InvalidInput("form_proof_form", tr("{value} is not a form's key (e.g. score-2, as in the form's "
                                                 "description)", value=form))
    inv = _invocation.get()
    person = current_principal()  # on a real database the person of the CLI's token (states/people.py)
    now = datetime.now(UTC)  # a proof lives in real time, whatever moment the command claims
    ttl = timedelta(minutes=minutes)
    # A proven person is named by their login (the form's answer is recorded as them: flows/evaluation._actor_of).
    code = issue_form_proof(person.person or person.name, run, form.strip(), now, ttl, role=person.role)
    if inv.json:
        show({"proof": code, "person": person.name, "role": person.role, "flow_run_id": run, "form": form.strip(),
              "expires_at": (now + ttl).isoformat()})
        return
    typer.echo(code)
    print(tr("Proof for {person} ({role}), form {form} of run {run}, valid until {moment}", person=person.name,
             role=person.role, form=form.strip(), run=run, moment=now + ttl), file=sys.stderr)
