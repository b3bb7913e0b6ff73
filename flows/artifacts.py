"""What officers see per case in the Prefect UI: a markdown summary and a ranking table, keyed by the case.

The ranking table exists once the committee has scored an offer of a call; until then (and for cases that
have no ranking at all) no table is made, and a call's summary says in words why there is no ranking yet.

The content is read from the engine's database in one read-only transaction; Prefect only shows it
(invariant 2). Keys are slugs of the case code (``OK/2026/001`` -> ``sprawa-ok-2026-001``), so the UI's
Artifacts page keeps one history per case and the latest version on top.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from models.notification_tables import Notification
from models.tables import Case
from states import labels
from states.cases import pending_deadlines
from states.engine import SCHEDULER, Actor, Context, execute
from states.local_time import moment_text
from states.procedures.open_call.handlers import CALL_KINDS
from states.procedures.open_call.machine import (
    OpenCallMachine,
    call_settings,
    offers_of,
    ranking_rows,
    unranked_reason,
)
from states.procedures.open_call.names import CallState
from states.text import Message, money, tr

# The deployments of the forms (flow/deployment, as `coop serve` and prefect.yaml serve them: flows/launcher.py).
FORMAL_REVIEW_DEPLOYMENT = "coop-formal-review/formal-review"
SCORING_DEPLOYMENT = "coop-committee-scoring/committee-scoring"

# Who moves the case next, per state of the open call: (next action, owner).
NEXT_ACTION: dict[str, tuple[Message, Message]] = {
    CallState.draft: (tr("Announce the call in BIP, on the board and on the website (`coop call announce`)"),
              tr("officer")),
    CallState.announced: (tr("Receive offers; when the offer deadline passes the scheduler closes them"),
                  tr("officer / scheduler")),
    # Deployment names are placeholders, never in the translated text: a catalogue once sent officers to flows
    # that do not exist ("coop-ocena-formalna"); tests/test_prefect_quiet.py checks every name shown is served.
    CallState.formal_review: (tr("Formal review of the offers: the form waits in the UI as a run of {deployment} "
                                 "(or `coop offer review`), then finish the formal review",
                                 deployment="`" + FORMAL_REVIEW_DEPLOYMENT + "`"),
                              tr("officer")),
    CallState.substantive_review: (tr("Committee members' scores: the forms wait in the UI as runs of {deployment} "
                                      "(or `coop offer score`)", deployment="`" + SCORING_DEPLOYMENT + "`"),
                                   tr("committee members")),
    CallState.selected: (tr("Publish the results in all three channels (art. 15 ust. 2h)"), tr("officer")),
    CallState.results_published: (tr("Sign the contracts with the selected organisations (art. 16)"),
                          tr("officer")),
    CallState.in_execution: (tr("Receive and review reports, settle the grants (art. 18)"),
                     tr("organisations / officer")),
    CallState.settled: (tr("None — the case is settled"), tr("—")),
    CallState.invalidated: (tr("Publish the invalidation (art. 18a ust. 2) if not yet done"), tr("officer")),
}


def slug(code: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


def summary_key(code: str) -> str:
    return f"sprawa-{slug(code)}"


def ranking_key(code: str) -> str:
    return f"ranking-{slug(code)}"


def case_views(ctx: Context, codes: list[str]) -> list[dict[str, Any]]:
    """Everything the artifacts show for ``codes``, read in one transaction."""
    views = []
    for case in ctx.session.exec(select(Case).where(Case.code.in_(codes)).order_by(Case.code)):
        offers = offers_of(ctx.session, case)
        is_call = case.kind in CALL_KINDS  # only a call's committee ranks offers (art. 15 ust. 1)
        rows = ranking_rows(ctx.session, case) if is_call else []
        views.append({
            "code": case.code, "title": case.title, "state": case.state, "budget": case.budget,
            "offer_deadline": case.offer_deadline, "selection_date": case.selection_date,
            "offer_states": dict(Counter(o.state for o in offers)), "offers": len(offers),
            "deadlines": pending_deadlines(ctx.session, case),
            "is_call": is_call,
            "threshold_percent": f"{(call_settings(case)[1] * 100).normalize():f}" if is_call else None,
            "ranking": [{k: (str(v) if v is not None and not isinstance(v, (int, str, bool)) else v)
                         for k, v in row.items()} for row in rows],
            "ranking_note": str(unranked_reason(case)) if is_call and not rows else None,
            **notifications_of(ctx.session, case.id),
        })
    return views


def notifications_of(session, case_id: int) -> dict[str, Any]:
    """The case's messages by status, and those nobody can send (who, which message): the officer must learn
    them from the case, not from a failed run (issue 21)."""
    counts = dict(session.exec(select(Notification.status, func.count()).where(
        Notification.case_id == case_id).group_by(Notification.status)).all())
    undeliverable = session.exec(select(Notification.recipient_name, Notification.template).where(
        Notification.case_id == case_id, Notification.status == "undeliverable").order_by(Notification.id)
        .limit(UNDELIVERABLE_SHOWN)).all()
    return {"notifications": counts, "undeliverable": [{"name": n, "template": t} for n, t in undeliverable]}


UNDELIVERABLE_SHOWN = 20


def _template(name: str) -> str:
    from notifications.routing import TEMPLATES

    spec = TEMPLATES.get(name)
    return str(spec.description) if spec is not None else name


def _when(moment) -> str:
    return moment_text(moment) if moment else "—"


def summary_markdown(view: dict[str, Any]) -> str:
    action, owner = NEXT_ACTION.get(view["state"], (tr("—"), tr("—")))
    lines = [
        f"# {view['code']} — {view['title']}",
        "",
        str(tr("**State:** `{state}`  ", state=view["state"])),
        str(tr("**Budget:** {budget}  ", budget=money(view["budget"]))),
        str(tr("**Offer deadline:** {deadline}  ", deadline=_when(view["offer_deadline"]))),
        str(tr("**Next action:** {action}  ", action=action)),
        str(tr("**Owner:** {owner}", owner=owner)),
        "",
        str(tr("## Next deadlines")),
    ]
    if view["deadlines"]:
        lines += [str(tr("| due | kind | basis |")), "|---|---|---|"]
        lines += [f"| {_when(d['due_at'])} | {d['kind']} | {d['basis']} |" for d in view["deadlines"][:10]]
    else:
        lines.append(str(tr("none")))
    lines += ["", str(tr("## Offers ({count})", count=view["offers"]))]
    lines += [f"- `{state}`: {count}" for state, count in sorted(view["offer_states"].items())] or [
        str(tr("no offers"))]
    if view.get("notifications"):
        lines += ["", str(tr("## Notifications"))]
        lines += [f"- {labels.notification_status(status)}: {count}"
                  for status, count in sorted(view["notifications"].items())]
        if view.get("undeliverable"):
            lines += ["", str(tr("Not sent, the recipient has no address (add it and send the message another "
                                 "way):"))]
            lines += [f"- {row['name'] or '—'}: {_template(row['template'])}" for row in view["undeliverable"]]
    if view.get("is_call"):
        lines += ["", "## Ranking (art. 15 ust. 1)"]
        key = ranking_key(view["code"])
        if view["ranking"]:
            passed = sum(1 for row in view["ranking"] if row["passed"])
            threshold = view["threshold_percent"]
            lines.append(str(tr("Offers scored: {scored}; reaching the threshold of {threshold} per cent: {passed}. "
                                "Table: artifact `{key}`.", scored=len(view["ranking"]),
                                threshold=Decimal(threshold), passed=passed, key=key)))
        else:
            lines.append(view["ranking_note"])
            if view["state"] != OpenCallMachine.invalidated.value:
                lines.append(str(tr("The ranking table (artifact `{key}`) appears once the committee has "
                                    "scored an offer.", key=key)))
    return "\n".join(lines)


def publish_case_artifacts(codes: Iterable[str], *, url: str | None = None, actor: Actor = SCHEDULER) -> int:
    """Make each case's summary and ranking artifacts say what the engine's database says now; returns how many
    cases were read. A new version is created only when its content differs from the latest one: a summary
    refreshed after every answer reached 26 identical-looking versions after 8 answers (issue 21)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    codes = sorted(set(codes))
    if not codes:
        return 0
    views = execute(case_views, codes, actor=actor, url=url, readonly=True)
    latest = latest_artifacts([key for view in views for key in (summary_key(view["code"]),
                                                                 ranking_key(view["code"]))])
    for view in views:
        markdown = summary_markdown(view)
        if latest.get(summary_key(view["code"])) != markdown:
            create_markdown_artifact(markdown=markdown, key=summary_key(view["code"]),
                                     description=str(tr("Case {view}", view=view['code'])), _sync=True)
        if not view["ranking"]:  # nothing scored: the summary says why; a table of blanks would say nothing
            continue
        if latest.get(ranking_key(view["code"])) != json.loads(json.dumps(view["ranking"])):
            create_table_artifact(table=view["ranking"], key=ranking_key(view["code"]),
                                  description=str(tr("Ranking of offers {view} (art. 15 ust. 1)", view=view['code'])),
                                  _sync=True)
    return len(views)


def latest_artifacts(keys: list[str]) -> dict[str, Any]:
    """The content of the latest version of each artifact of ``keys`` that exists (a table's rows as data), in
    one call; an artifact that cannot be read counts as absent (a new version is made, as before)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

    try:
        with get_client(sync_client=True) as client:
            found = client.read_latest_artifacts(artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=keys)), limit=len(keys))
    except Exception:  # noqa: BLE001 - only a comparison: without it the artifact is written again
        return {}
    latest: dict[str, Any] = {}
    for artifact in found:
        data = artifact.data
        if artifact.type == "table" and isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                continue
        latest[artifact.key] = data
    return latest
