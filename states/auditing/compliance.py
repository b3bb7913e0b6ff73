"""The compliance check: replays a case's recorded history against the statute and its pinned rule set.

It reads only the audit records (and their payloads) plus the rule set, never the current rows, so it works
the same for a history exported from another system (``check_export``). Each finding is a small named rule
over records, registered with ``@finding``; docs/audit.md lists every one with the article it cites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from models.settings import REAL, SIMULATION
from models.tables import Case
from states import calendar, periods
from states.auditing.history import case_tree, exported_record, records_of
from states.cases import load_case
from states.clock import SKEW, span
from states.engine import Context
from states.errors import InvalidInput
from states.local_time import moment_text
from states.rule_sets import BUILTIN_RULE_SETS, DEFAULT_RULE_SET, RuleSet
from states.subjects import Subject
from states.text import Message, money, tr

CHANNELS = ("bip", "board", "website")  # art. 13 ust. 3 and its siblings: BIP, notice board, website
# --- the history as the check sees it --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rec:
    case_code: str
    seq: int
    hash: str
    at: datetime
    actor: str
    role: str
    event: str
    subject: str
    from_state: str | None
    to_state: str | None
    basis: str
    payload: dict
    recorded_at: datetime | None = None  # when the database wrote it (an imported history may not say)

    @classmethod
    def from_export(cls, case_code: str, raw: dict) -> Rec:
        return cls(case_code=case_code, seq=raw["seq"], hash=raw["hash"], at=moment(raw["at"]),
                   actor=raw.get("actor", ""), role=raw.get("role", ""), event=raw["event"],
                   subject=raw.get("subject", "case"), from_state=raw.get("from_state"),
                   to_state=raw.get("to_state"), basis=raw.get("basis") or "", payload=raw.get("payload") or {},
                   recorded_at=moment(raw.get("recorded_at")))

    @property
    def offer(self) -> int | None:
        subject = Subject.parse(self.subject)
        return subject.number if subject.kind == "offer" else None

    @property
    def member(self) -> str | None:
        subject = Subject.parse(self.subject)
        return (subject.key or "") if subject.kind == "member" else None

    def evidence(self) -> dict:
        return {"case": self.case_code, "seq": self.seq, "hash": self.hash, "event": self.event,
                "subject": self.subject}


@dataclass
class History:
    case_code: str
    kind: str
    records: list[Rec]
    rules: RuleSet

    def events(self, *names: str) -> list[Rec]:
        return [r for r in self.records if r.event in names]

    def first(self, *names: str) -> Rec | None:
        return next(iter(self.events(*names)), None)


@dataclass(frozen=True)
class Finding:
    case: str
    code: str
    article: str
    message: Message
    evidence: tuple[dict, ...]

    def as_dict(self, lang: str | None = None) -> dict:
        return {"case": self.case, "code": self.code, "article": self.article,
                "message": self.message.in_language(lang) if lang else str(self.message),
                "evidence": list(self.evidence)}


@dataclass(frozen=True)
class ComplianceRule:
    code: str
    article: str
    title: Message
    kinds: tuple[str, ...] | None  # None: every procedure
    check: Callable[[History], Iterable[tuple[Message, tuple[Rec, ...], str | None]]] = field(repr=False)

    def run(self, history: History) -> list[Finding]:
        if self.kinds is not None and history.kind not in self.kinds:
            return []
        return [Finding(history.case_code, self.code, article or self.article, message,
                        tuple(r.evidence() for _, r in sorted({(r.case_code, r.seq): r for r in evidence}.items())))
                for message, evidence, article in self.check(history)]


RULES: dict[str, ComplianceRule] = {}  # filled by @finding: here the rules of every procedure, and each
# procedure's own in its package's compliance.py (states/procedures/<slug>/compliance.py), loaded by rules()


def rules() -> dict[str, ComplianceRule]:
    """Every compliance rule: those below and each registered procedure's (the registry in states/procedures)."""
    from states.procedures import PROCEDURES

    for procedure in PROCEDURES:
        if procedure.has_compliance:
            procedure.part("compliance")  # importing it registers its rules (@finding)
    return RULES


def finding(code: str, article: str, title: Message, kinds: tuple[str, ...] | None = ("open_call",)):
    """Register a rule. The checked function yields (message, records, article or None for the default)."""

    def register(check):
        RULES[code] = ComplianceRule(code, article, title, kinds, check)
        return check

    return register


# --- reading payloads --------------------------------------------------------------------------------------------


def moment(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:  # an imported history may carry local times: read them as Warsaw time
        parsed = parsed.replace(tzinfo=calendar.WARSAW)
    return parsed


def day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value)
    return date.fromisoformat(text) if len(text) == 10 else calendar.local_date(moment(text))


def amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def warsaw(value: datetime) -> str:
    """A moment in a finding, as people read moments everywhere (Warsaw time with its offset)."""
    return moment_text(value)


def offer_deadline(history: History) -> tuple[datetime | None, Rec | None]:
    """The offer deadline the announcement fixed: the recorded moment, or the end of the announced day moved
    off a day off (KC art. 115) when an imported history recorded only the day."""
    announce = history.first("announce")
    if announce is None:
        return None, None
    due = moment(announce.payload.get("offer_deadline_due"))
    if due is None and announce.payload.get("offer_deadline"):
        due = periods.OFFER_DEADLINE.on(day(announce.payload["offer_deadline"])).due
    return due, announce


def receipt_rule(history: History) -> str:
    for rec in history.events("create", "announce"):
        if rec.payload.get("receipt_rule"):
            return rec.payload["receipt_rule"]
    return "received"


def channels_missing(published: dict | None) -> list[str]:
    return [c for c in CHANNELS if not (published or {}).get(c)]


# --- every procedure ---------------------------------------------------------------------------------------------


@finding("override", "podstawa z rekordu (basis)",
         tr("An officer recorded an override of a rule"), kinds=None)
def _override(h: History):
    for rec in h.events("override"):
        reason = str(rec.payload.get("reason") or "").strip()
        rule = rec.payload.get("rule") or "?"
        because = (tr("reason: {reason}", reason=reason) if reason
                   else tr("WITHOUT A REASON"))
        yield (tr("{actor} overrode rule {rule} ({subject}); {because}", actor=rec.actor, rule=rule, subject=rec.subject, because=because),
               (rec,), rec.basis or None)


# --- the report under the contract (the open call's offer, the local initiative) --------------------------------


def report_deadline(h: History, number: int | None, before: datetime) -> tuple[datetime | None, list[Rec]]:
    """The report deadline in force at ``before`` for the offer ``number`` (None: the case's own report, the local
    initiative's): the contract's, or a later one a recorded step set (the contract's written call for a missing
    report, a call for corrections, an explicit extension)."""
    basis: list[Rec] = []
    deadline = None
    for rec in h.records:
        if rec.offer != number or rec.at > before:
            continue
        candidate = None
        if rec.event == "sign_contract" and rec.payload.get("report_due"):
            candidate = calendar.end_of_day(day(rec.payload["report_due"]))
        elif rec.event == "report_overdue" and rec.payload.get("call_until"):
            candidate = moment(rec.payload["call_until"])
        elif rec.event == "report_overdue" and rec.payload.get("call_days") is not None:  # histories from elsewhere
            candidate = periods.REPORT_CALL.count(rec.at, int(rec.payload["call_days"])).due
        elif rec.event == "request_report_corrections" and rec.payload.get("correct_by"):
            candidate = moment(rec.payload["correct_by"])
        elif rec.event == "extend_deadline" and rec.payload.get("deadline") == "report" and rec.payload.get("until"):
            until = rec.payload["until"]
            candidate = calendar.end_of_day(day(until)) if len(str(until)) == 10 else moment(until)
        if candidate is not None:
            basis.append(rec)
            deadline = candidate if deadline is None else max(deadline, candidate)
    return deadline, basis


@finding("report_accepted_late", "art. 18 ust. 1",
         tr("A report filed after its deadline was accepted without a recorded extension"),
         kinds=("open_call", "local_initiative"))
def _report_accepted_late(h: History):
    """The open call's offer's report (art. 18 ust. 1) and the local initiative's (art. 19e: its agreement sets
    the report's date), each against the deadline in force when it was filed."""
    for accepted in h.events("accept_report"):
        number = accepted.offer
        submitted = [r for r in h.events("submit_report") if r.offer == number and r.seq < accepted.seq]
        if not submitted:
            continue
        last = submitted[-1]
        deadline, basis = report_deadline(h, number, last.at)
        if deadline is None or last.at <= deadline:
            continue
        if number is None:
            yield (tr("The initiative's report was filed {at}, after its deadline {deadline}, and accepted {at2}",
                      at=warsaw(last.at), deadline=warsaw(deadline), at2=warsaw(accepted.at)),
                   (*basis, last, accepted), "art. 19e (umowa)")
        else:
            yield (tr("The report for offer {number} was filed {at}, after its deadline {deadline}, and "
                      "accepted {at2}", number=number, at=warsaw(last.at), deadline=warsaw(deadline),
                      at2=warsaw(accepted.at)), (*basis, last, accepted), None)


ADOPTION_EVENTS = ("adopt", "adopt_programme")


def _programme_year(h: History, rec: Rec) -> int | None:
    """The programme's year: on the adoption record, or on the consultation's ``create`` of a programme."""
    if rec.payload.get("programme_year") is not None:
        return int(rec.payload["programme_year"])
    created = h.first("create")
    if created and created.payload.get("act_kind") == "programme" and created.payload.get("programme_year"):
        return int(created.payload["programme_year"])
    return None


@finding("programme_adopted_late", "art. 5a ust. 1",
         tr("The annual cooperation programme was adopted after 30 November of the previous year"), kinds=None)
def _programme_adopted_late(h: History):
    for rec in h.events(*ADOPTION_EVENTS):
        year = _programme_year(h, rec)
        if year is None:
            continue
        adopted = day(rec.payload.get("adopted_on")) or calendar.local_date(rec.at)
        limit = date(year - 1, 11, 30)  # the statute's date; a rule set cannot move it later
        if adopted > limit:
            yield (tr("The programme for {year} was adopted on {adopted}, after {limit}", year=year, adopted=adopted, limit=limit), (rec,), None)


# --- running the check -------------------------------------------------------------------------------------------


def rule_set_named(session: Session | None, version: str | None) -> RuleSet:
    if session is not None:
        from states.rulebook import find_rule_set

        return find_rule_set(session, version)
    return BUILTIN_RULE_SETS.get(version or DEFAULT_RULE_SET, BUILTIN_RULE_SETS[DEFAULT_RULE_SET])


def check_history(history: History) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules().values():
        found.extend(rule.run(history))
    return sorted(found, key=lambda f: (f.case, min((e["seq"] for e in f.evidence), default=0), f.code))


def history_of(session: Session, case: Case) -> History:
    version = case.rule_set_version or (case.data or {}).get("rule_set")
    records = [Rec.from_export(case.code, exported_record(r)) for r in records_of(session, case)]
    return History(case.code, case.kind, records, rule_set_named(session, version))


def export_histories(export: dict) -> list[History]:
    try:
        return [History(c["case_code"], c.get("kind") or "open_call",
                        [Rec.from_export(c["case_code"], r) for r in c["records"]],
                        rule_set_named(None, c.get("rule_set"))) for c in export["chains"]]
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput("bad_export", tr("The file is not an exported case history: {error}", error=error)) from None


def check_export(export: dict) -> list[Finding]:
    """Check a history exported from this or another system (the ``coop audit export`` format)."""
    return [f for h in export_histories(export) for f in check_history(h)]


def check_export_times(export: dict) -> dict:
    """The effective times of an exported history: its database's mode as exported (older exports do not say:
    their records have ``recorded_at == at``, so nothing departs)."""
    return effective_times(export_histories(export), simulation=export.get("clock") == SIMULATION)


# --- effective time against the time of writing (invariant 3) ---------------------------------------------------


# Moments a step states for what happened before it, kept in its payload (states.cases.claimed_before).
CLAIMED_MOMENTS = ("received_at", "submitted_at", "rdpp_delivered")


def time_departures(histories: Iterable[History]) -> list[dict]:
    """The steps dated away from the database's time of writing (``recorded_at``) by more than the clocks'
    tolerance (states.clock.SKEW): their effective time (``at``), or a moment they state (a receipt, a comment's
    submission, a delivery), with the reason recorded for it; and any step that recorded a reason. On a real
    database these are receipts by post and other stated past moments. A step's records (same case, moments
    and actor) make one line."""
    steps: dict[tuple, dict] = {}
    for history in histories:
        for rec in history.records:
            if rec.recorded_at is None:
                continue
            stated_reason = rec.payload.get("effective_time")
            reason = stated_reason.get("reason") if isinstance(stated_reason, dict) else None
            stated = [("at", rec.at), *((key, moment(rec.payload.get(key))) for key in CLAIMED_MOMENTS)]
            away = [(key, value) for key, value in stated if value and abs(value - rec.recorded_at) > SKEW]
            if not away and reason is None:
                continue
            key = (rec.case_code, rec.at, rec.recorded_at, rec.actor)
            step = steps.get(key)
            if step is not None:
                step["seq"].append(rec.seq)
                step["events"].append(rec.event)
                step["reason"] = step["reason"] or reason
                continue
            what, when = min(away, key=lambda item: item[1]) if away else ("at", rec.at)
            delta = when - rec.recorded_at
            steps[key] = {"case": rec.case_code, "seq": [rec.seq], "events": [rec.event], "stated": what,
                          "moment": when.astimezone(calendar.WARSAW),
                          "recorded_at": rec.recorded_at.astimezone(calendar.WARSAW),
                          "departure": ("-" if delta < timedelta(0) else "+") + span(delta) if away else "",
                          "actor": rec.actor, "reason": reason}
    return list(steps.values())


def effective_times(histories: Iterable[History], *, simulation: bool) -> dict:
    """What ``coop audit check`` says of the times: on a simulation database one line (every moment there is
    claimed), on a real one the steps that depart from their time of writing."""
    if simulation:
        return {"clock": SIMULATION, "times": str(tr("A simulation database: the steps' moments are "
                                                     "simulated (--at); comparing them with the time of "
                                                     "writing tells nothing."))}
    return {"clock": REAL, "time_departures": time_departures(histories)}


# --- rules over a whole year (they need more than one case's history) ---------------------------------------

YEAR_RULES: dict[str, tuple[str, Message]] = {
    "small_grant_ceiling_exceeded": ("art. 19a ust. 7", tr("The year's small grants exceeded the ceiling "
                                                           "of 20 per cent of the funds planned for NGO grants")),
}


def small_grant_ceiling(session: Session, year: int) -> list[Finding]:
    """art. 19a ust. 7: the year's recorded small-grant decisions against the planned funds the office recorded."""
    from models.procedures.small_grant import SmallGrantYear

    ledger = session.get(SmallGrantYear, year)
    if ledger is None:
        return []
    decisions: list[tuple[Rec, Decimal, RuleSet]] = []
    for case in session.exec(select(Case).where(Case.kind == "small_grant").order_by(Case.code)):
        history = history_of(session, case)
        for rec in history.events("decide"):
            grant = amount(rec.payload.get("grant"))
            if grant > 0 and str(rec.payload.get("budget_year")) == str(year):
                decisions.append((rec, grant, history.rules))
    if not decisions:
        return []
    decisions.sort(key=lambda item: item[0].at)
    limit = ledger.planned_ngo_grants * decisions[-1][2].small_grant.yearly_share
    total = Decimal(0)
    for index, (rec, grant, _) in enumerate(decisions):
        total += grant
        if total > limit:
            article, _title = YEAR_RULES["small_grant_ceiling_exceeded"]
            over = sum((g for _, g, _ in decisions), Decimal(0))
            return [Finding(rec.case_code, "small_grant_ceiling_exceeded", article,
                            tr("Small grants in {year}: {over} > the ceiling {limit} ({planned} planned for NGO "
                               "grants); crossed by the decision in {case}", year=year, over=money(over),
                               limit=money(limit), planned=money(ledger.planned_ngo_grants), case=rec.case_code),
                            tuple(r.evidence() for r, _, _ in decisions[: index + 1]))]
    return []


def year_findings(session: Session, year: int) -> list[Finding]:
    return small_grant_ceiling(session, year)


def _summary(findings: list[Finding], cases: list[str]) -> dict:
    return {"cases": cases, "rules": sorted([*rules(), *YEAR_RULES]), "findings": [f.as_dict() for f in findings]}


def check_case(ctx: Context, code: str) -> dict:
    """Findings for the case and every case nested under it."""
    tree = case_tree(ctx.session, load_case(ctx.session, code))
    histories = [history_of(ctx.session, case) for case in tree]
    findings = [f for history in histories for f in check_history(history)]
    codes = {c.code for c in tree}
    years = {r.payload.get("budget_year") for case in tree if case.kind == "small_grant"
             for r in history_of(ctx.session, case).events("decide")}
    for year in sorted(y for y in years if y is not None):
        findings += [f for f in year_findings(ctx.session, int(year)) if any(e["case"] in codes for e in f.evidence)]
    return {**_summary(findings, [c.code for c in tree]), **effective_times(histories, simulation=ctx.simulation)}


def cases_of_year(session: Session, year: int) -> list[Case]:
    cases = session.exec(select(Case).order_by(Case.code))
    return [c for c in cases if calendar.local_date(c.created_at).year == year]


def check_year(ctx: Context, year: int) -> dict:
    if not 2000 <= year <= 2100:
        raise InvalidInput("bad_year", tr("Invalid year {year}", year=year))
    cases = cases_of_year(ctx.session, year)
    histories = [history_of(ctx.session, case) for case in cases]
    findings = [f for history in histories for f in check_history(history)]
    findings += year_findings(ctx.session, year)
    return {"year": year, **_summary(findings, [c.code for c in cases]),
            **effective_times(histories, simulation=ctx.simulation)}
