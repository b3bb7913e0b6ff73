"""The names people read for the engine's identifiers (publication channels, roles, input fields).

Identifiers stay in the data, the CLI's options and ``--json``; a message shows their label in the reader's
language instead (a Polish reader sees "tablica ogłoszeń urzędu", not "board").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from states.subjects import Subject
from states.text import Localized, Message, tr

CHANNELS: dict[str, Message] = {
    "bip": tr("BIP (the Public Information Bulletin)"),
    "board": tr("the office's notice board"),
    "website": tr("the office's website"),
    "consultations_portal": tr("the public consultations portal"),
    "ngo_portal": tr("the NGO portal"),
    "operator_website": tr("the operator's website"),
}


def channel(name: str) -> Message | str:
    return CHANNELS.get(name, name)


def channels(names: Iterable[str]) -> list[Message | str]:
    """Channels as people name them, for a message's list ("BIP, tablica ogłoszeń urzędu")."""
    return [channel(name) for name in names]


RDPP_STATUSES: dict[str, Message] = {
    "pending": tr("awaited"),
    "given": tr("given"),
    "waived": tr("waived (not given in time)"),
}


def rdpp_status(status: str) -> Message | str:
    """The state of the Public Benefit Council's opinion on a draft (art. 41i)."""
    return RDPP_STATUSES.get(status, status)


RECEIPT_RULES: dict[str, Message] = {
    "received": tr("the day of receipt by the office counts"),
    "postmarked": tr("the postmark's date counts"),
}


def receipt_rule(rule: str) -> Message | str:
    """When an offer sent by post counts as filed in time (the call's announcement says which)."""
    return RECEIPT_RULES.get(rule, rule)


# The fields of the commands' input (states/inputs.py, states/procedures/*/inputs.py, notifications/handlers.py),
# named in a refused input ("kwota dotacji: musi być liczbą"); tests/test_messages.py checks every field has one.
FIELDS: dict[str, Message] = {
    # the portal's account, representation and profile (states/portal_accounts.py)
    "login": tr("login"),
    "account": tr("portal account (login or e-mail address)"),
    "from_draft": tr("filed from the draft"),
    "display_name": tr("first name and surname"),
    "password": tr("password"),
    "token": tr("confirmation link"),
    "register_name": tr("register (for an entity not in the KRS)"),
    "register_number": tr("number in that register"),
    "phone": tr("phone"),
    "areas": tr("areas of activity"),
    "website": tr("website"),
    "publish_consent": tr("consent to publish the profile"),
    "claim": tr("request number"),
    "confirm": tr("confirmed (yes or no)"),
    "organisation": tr("organisation"),
    "accept": tr("accepted (yes or no)"),
    "actor": tr("who acted (--by)"),
    "act_kind": tr("kind of act"),
    "address": tr("address"),
    "affiliation": tr("who nominated the member"),
    "amount": tr("amount"),
    "answer": tr("answer"),
    "answers": tr("answers to the comments"),
    "applicant_kind": tr("kind of applicant"),
    "author": tr("author"),
    "author_kind": tr("kind of author"),
    "budget": tr("funds"),
    "chosen": tr("chosen implementers"),
    "code": tr("case code"),
    "conflicts": tr("offers with a conflict of interest"),
    "consideration": tr("how the comment was considered"),
    "contact_person": tr("contact person"),
    "contract_number": tr("contract number"),
    "costs": tr("estimate"),
    "council_session": tr("council session"),
    "criteria": tr("criteria"),
    "deadline": tr("deadline"),
    "event": tr("event (--event)"),
    "decision": tr("decision"),
    "decision_ref": tr("decision reference"),
    "defects": tr("formal defects"),
    "delivered": tr("what was delivered"),
    "description": tr("description"),
    "email": tr("e-mail address"),
    "execution_end": tr("end of the execution period"),
    "execution_start": tr("start of the execution period"),
    "field": tr("field of the act"),
    "funds_used": tr("funds used"),
    "grant": tr("grant"),
    "grant_rules": tr("rules for awarding grants"),
    "grants": tr("grants"),
    "hours": tr("hours"),
    "id": tr("notification number"),
    "implementer": tr("implementer"),
    "key": tr("criterion"),
    "krs": tr("KRS number"),
    "lang": tr("language"),
    "legal_form": tr("legal form"),
    "limit": tr("limit"),
    "location": tr("location"),
    "max_points": tr("maximum points"),
    "member": tr("committee member"),
    "mode": tr("mode"),
    "name": tr("name"),
    "non_financial_contribution": tr("non-financial contribution"),
    "note": tr("note"),
    "number": tr("number"),
    "offer_deadline": tr("offer deadline"),
    "on": tr("date"),
    "opinion": tr("opinion"),
    "opted_out": tr("opted out"),
    "organisation_krs": tr("organisation's KRS number"),
    "own_contribution": tr("own contribution"),
    "own_costs": tr("own costs"),
    "own_funds": tr("own funds"),
    "party": tr("kind of cost"),
    "pass_threshold": tr("pass threshold"),
    "prior_funding": tr("tasks of the same kind funded this year and last year"),
    "passed": tr("formal check passed"),
    "planned": tr("planned grant funds"),
    "points": tr("points"),
    "postmarked_on": tr("postmark date"),
    "programme_year": tr("year of the programme"),
    "property_owner": tr("owner of the property"),
    "provision": tr("provision"),
    "published": tr("publications"),
    "rdpp_delivered": tr("delivery to the Public Benefit Council"),
    "reason": tr("reason"),
    "receipt_rule": tr("receipt rule"),
    "received_at": tr("time of receipt"),
    "reference": tr("reference"),
    "representative": tr("representative"),
    "representative_email": tr("representative's e-mail address"),
    "requested_grant": tr("requested grant"),
    "residents": tr("residents"),
    "returned_amount": tr("amount returned"),
    "returned_on": tr("date of return"),
    "rule_set": tr("rule set"),
    "scope": tr("scope"),
    "since": tr("since (--since)"),
    "selection_date": tr("selection date"),
    "sphere": tr("sphere"),
    "status": tr("status"),
    "subject": tr("subject"),
    "submitted_at": tr("time of submission"),
    "summary": tr("summary"),
    "supplier": tr("supplier"),
    "task_area": tr("area of public tasks"),
    "task_end": tr("end of the task"),
    "task_start": tr("start of the task"),
    "template": tr("kind of notification"),
    "text": tr("text"),
    "title": tr("title"),
    "until": tr("until (--until)"),
    "value": tr("value of the setting"),
    "values": tr("values of the settings"),
    "volunteer_work": tr("volunteer work"),
    "weight": tr("weight"),
    "work_hours": tr("hours of social work"),
    "year": tr("year"),
}


def field(name: str) -> Message | str:
    return FIELDS.get(name, name)


def _polish_state_name(machine: str | type, value: str) -> str | None:
    """A state's Polish name is the one its machine declares (states/procedures/open_call/machine.py:
    State("ocena merytoryczna", ...)), used by the diagrams too; in English the identifier reads well enough with
    spaces ("substantive review"). ``machine``: a class, or a case kind (and "offer") looked up in the registry of
    procedures."""
    if isinstance(machine, str):
        from states.procedures import machine_of_kind

        machine = machine_of_kind(machine)
        if machine is None:
            return None
    state = next((s for s in machine.states if s.value == value), None)
    return state.name if state is not None else None


def state(machine: str | type, value: str) -> Localized:
    """A state as people name it, quoted: „ocena formalna” / “formal review”. ``machine``: a machine class or a
    case kind (``"offer"`` for an offer)."""

    def render(lang: str) -> str:
        polish = _polish_state_name(machine, value) if lang == "pl" else None
        return f"„{polish}”" if polish else f"“{value.replace('_', ' ')}”"

    return Localized(render)


def states(machine: str | type, values: Iterable[str]) -> list[Localized]:
    return [state(machine, value) for value in values]


def subject(name: str) -> Message | str:
    """The subject of a step as people name it: "offer:3" is offer no. 3."""
    parsed = Subject.parse(name)
    if parsed.kind == "offer" and parsed.key:
        return tr("offer {number}", number=parsed.key)
    if parsed.kind == "member" and parsed.key:
        return tr("committee member {name}", name=parsed.key)
    if parsed.kind == "comment" and parsed.key:
        return tr("comment {number}", number=parsed.key)
    return name


def criterion(item: Any) -> Localized:
    """A scoring criterion with its key (what ``--points KEY=...`` takes) and its name in the reader's language:
    "capacity (możliwość realizacji zadania)"."""
    return Localized(lambda lang: f"{item.key} ({item.label_pl if lang == 'pl' else item.label_en})")


def criteria(items: Iterable[Any]) -> list[Localized]:
    return [criterion(item) for item in items]


PUBLICATIONS: dict[str, Message] = {
    "announcement": tr("the announcement of the call"),
    "results": tr("the results of the call"),
    "invalidation": tr("the invalidation of the call"),
    "offer": tr("the offer outside competition"),
    "draft": tr("the draft act"),
    "report": tr("the consultation report"),
    "sub_call": tr("the operator's call for implementers"),
    "sub_selection": tr("the operator's choice of implementers"),
}


def publication(subject: str) -> Message | str:
    """What a publication makes public (``Publication.subject``)."""
    return PUBLICATIONS.get(subject, subject)


def criteria_mismatch(head: Message, unknown: list[str], missing: list[str]) -> Message:
    """"Score exactly the criteria: …; unknown: …; missing: …", each part only when there is something to say."""
    message = head
    if unknown:
        message = message + tr("; unknown: {keys}", keys=unknown)
    if missing:
        message = message + tr("; missing: {keys}", keys=missing)
    return message


ROLES: dict[str, Message] = {
    "officer": tr("officer"),
    "committee_member": tr("committee member"),
    "auditor": tr("auditor"),
    "scheduler": tr("scheduler"),
    "applicant": tr("applicant"),
    "public": tr("the public"),
    "administrator": tr("administrator"),
}


def role(name: str) -> Localized:
    """A role with its identifier (what ``--role`` takes): "officer (urzędnik)"; in English the identifier alone."""
    label = ROLES.get(name)

    def render(lang: str) -> str:
        return f"{name} ({label.in_language(lang)})" if label is not None and lang != "en" else name

    return Localized(render)


def roles(names: Iterable[str]) -> list[Localized]:
    return [role(name) for name in names]


NOTIFICATION_STATUSES: dict[str, Message] = {
    "pending": tr("pending"),
    "sent": tr("sent"),
    "failed": tr("failed"),
    "cancelled": tr("cancelled"),
    "opted_out": tr("opted out by the recipient"),
    "undeliverable": tr("undeliverable: the recipient has no address"),
}


def notification_status(status: str) -> Message | str:
    return NOTIFICATION_STATUSES.get(status, status)


UNITS: dict[str, Message] = {
    "days": tr("days"),
    "working_days": tr("working days"),
    "weeks": tr("weeks"),
    "months": tr("months"),
}


def choices(tokens: Iterable[str], meaning: dict[str, Message]) -> list[Localized]:
    """Values a person types (CLI tokens), each with what it means in Polish: „days” (dni); in English the token."""

    def one(token: str) -> Localized:
        label = meaning.get(token)
        return Localized(lambda lang: token if lang == "en" or label is None else f"„{token}” ({label.in_language(lang)})")

    return [one(token) for token in tokens]


# art. 19b ust. 1: the spheres of a local initiative (the rule set's tokens).
SPHERES: dict[str, Message] = {
    "infrastructure": tr("local infrastructure (construction, renovation)"),
    "charity": tr("charity"),
    "tradition": tr("national tradition and culture"),
    "culture": tr("culture, art, heritage"),
    "education": tr("education and upbringing"),
    "sport": tr("physical culture and sport"),
    "tourism": tr("tourism and recreation"),
    "greenery": tr("nature, greenery and animals"),
    "public_order": tr("public order and safety"),
    "revitalisation": tr("revitalisation"),
    "disability": tr("people with disabilities"),
    "environment": tr("ecology and the environment"),
    "health": tr("health"),
    "seniors": tr("older people"),
    "civic_activity": tr("civic activity"),
}

# The council resolution's criteria of a local initiative (the rule set's tokens).
INITIATIVE_CRITERIA: dict[str, Message] = {
    "social_work": tr("the residents' social work"),
    "public_benefit": tr("public benefit"),
    "feasibility": tr("feasibility"),
    "own_contribution": tr("the applicants' own contribution"),
}
