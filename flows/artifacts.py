"""What officers see per case in the Prefect UI: a markdown summary and a ranking table, keyed by the case.

The ranking table exists once the committee has scored an offer of a call; until then (and for cases that
have no ranking at all) no table is made, and a call's summary says in words why there is no ranking yet.

The content is read from the engine's database in one read-only transaction; Prefect only shows it
(invariant 2). Keys are slugs of the case code (``OK/2026/001`` -> ``sprawa-ok-2026-001``), so the UI's
Artifacts page keeps one history per case and the latest version on top.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlmodel import select

from models.tables import Case
from states.cases import pending_deadlines
from states.engine import ANYONE, SCHEDULER, Actor, Context, execute, permitted
from states.local_time import moment_text
from states.open_call import OpenCallMachine, call_settings, offers_of, ranking_rows, unranked_reason
from states.open_call_commands import CALL_KINDS
from states.text import Text

# Who moves the case next, per state of the open call: (next action, owner).
NEXT_ACTION: dict[str, tuple[Text, Text]] = {
    "draft": (Text("Ogłosić konkurs w BIP, na tablicy i na stronie (`coop call announce`)",
                   "Announce the call in BIP, on the board and on the website (`coop call announce`)"),
              Text("urzędnik", "officer")),
    "announced": (Text("Przyjmować oferty; po terminie składania ofert harmonogram zamknie nabór",
                       "Receive offers; when the offer deadline passes the scheduler closes them"),
                  Text("urzędnik / harmonogram", "officer / scheduler")),
    "formal_review": (Text("Ocena formalna ofert (przepływ „coop-ocena-formalna” w UI lub `coop offer review`), "
                           "potem zakończenie oceny formalnej",
                           "Formal review of the offers (the coop-formal-review flow in the UI or `coop offer review`), "
                           "then finish the formal review"),
                      Text("urzędnik", "officer")),
    "substantive_review": (Text("Oceny członków komisji (przepływ „coop-ocena-komisji” w UI lub `coop offer score`)",
                                "Committee members' scores (the coop-committee-scoring flow in the UI or `coop offer score`)"),
                           Text("członkowie komisji", "committee members")),
    "selected": (Text("Ogłosić wyniki w trzech miejscach (art. 15 ust. 2h)",
                      "Publish the results in all three channels (art. 15 ust. 2h)"), Text("urzędnik", "officer")),
    "results_published": (Text("Zawrzeć umowy z wybranymi organizacjami (art. 16)",
                               "Sign the contracts with the selected organisations (art. 16)"),
                          Text("urzędnik", "officer")),
    "in_execution": (Text("Przyjmować i oceniać sprawozdania, rozliczać dotacje (art. 18)",
                          "Receive and review reports, settle the grants (art. 18)"),
                     Text("organizacje / urzędnik", "organisations / officer")),
    "settled": (Text("Brak — sprawa rozliczona", "None — the case is settled"), Text("—", "—")),
    "invalidated": (Text("Ogłosić unieważnienie (art. 18a ust. 2), jeśli jeszcze nie ogłoszono",
                         "Publish the invalidation (art. 18a ust. 2) if not yet done"), Text("urzędnik", "officer")),
}


def slug(code: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


def summary_key(code: str) -> str:
    return f"sprawa-{slug(code)}"


def ranking_key(code: str) -> str:
    return f"ranking-{slug(code)}"


@permitted(*ANYONE)
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
        })
    return views


def _when(moment) -> str:
    return moment_text(moment) if moment else "—"


def summary_markdown(view: dict[str, Any]) -> str:
    action, owner = NEXT_ACTION.get(view["state"], (Text("—", "—"), Text("—", "—")))
    lines = [
        f"# {view['code']} — {view['title']}",
        "",
        f"**{Text('Stan', 'State')}:** `{view['state']}`  ",
        f"**{Text('Budżet', 'Budget')}:** {view['budget']} PLN  ",
        f"**{Text('Termin składania ofert', 'Offer deadline')}:** {_when(view['offer_deadline'])}  ",
        f"**{Text('Następny krok', 'Next action')}:** {action}  ",
        f"**{Text('Kto', 'Owner')}:** {owner}",
        "",
        f"## {Text('Najbliższe terminy', 'Next deadlines')}",
    ]
    if view["deadlines"]:
        lines += [f"| {Text('termin', 'due')} | {Text('rodzaj', 'kind')} | {Text('podstawa', 'basis')} |", "|---|---|---|"]
        lines += [f"| {_when(d['due_at'])} | {d['kind']} | {d['basis']} |" for d in view["deadlines"][:10]]
    else:
        lines.append(str(Text("brak", "none")))
    lines += ["", f"## {Text('Oferty', 'Offers')} ({view['offers']})"]
    lines += [f"- `{state}`: {count}" for state, count in sorted(view["offer_states"].items())] or [
        str(Text("brak ofert", "no offers"))]
    if view.get("is_call"):
        lines += ["", "## Ranking (art. 15 ust. 1)"]
        key = ranking_key(view["code"])
        if view["ranking"]:
            passed = sum(1 for row in view["ranking"] if row["passed"])
            threshold = view["threshold_percent"]
            lines.append(str(Text(
                f"Ocenione oferty: {len(view['ranking'])}; próg {threshold.replace('.', ',')} % osiągnęły: {passed}. "
                f"Tabela: artefakt `{key}`.",
                f"Offers scored: {len(view['ranking'])}; reaching the {threshold} % threshold: "
                f"{passed}. Table: artifact `{key}`.")))
        else:
            lines.append(view["ranking_note"])
            if view["state"] != OpenCallMachine.invalidated.value:
                lines.append(str(Text(f"Tabela rankingu (artefakt `{key}`) pojawi się, gdy komisja oceni pierwszą ofertę.",
                                      f"The ranking table (artifact `{key}`) appears once the committee has scored "
                                      "an offer.")))
    return "\n".join(lines)


def publish_case_artifacts(codes: Iterable[str], *, url: str | None = None, actor: Actor = SCHEDULER) -> int:
    """Create (a new version of) each case's summary and ranking artifacts; returns how many cases."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    codes = sorted(set(codes))
    if not codes:
        return 0
    views = execute(case_views, codes, actor=actor, url=url, readonly=True)
    for view in views:
        create_markdown_artifact(markdown=summary_markdown(view), key=summary_key(view["code"]),
                                 description=str(Text(f"Sprawa {view['code']}", f"Case {view['code']}")), _sync=True)
        if not view["ranking"]:  # nothing scored: the summary says why; a table of blanks would say nothing
            continue
        create_table_artifact(table=view["ranking"], key=ranking_key(view["code"]),
                              description=str(Text(f"Ranking ofert {view['code']} (art. 15 ust. 1)",
                                                   f"Ranking of offers {view['code']} (art. 15 ust. 1)")), _sync=True)
    return len(views)
