"""The open call for offers (otwarty konkurs ofert, art. 11-15 and 16-18a): the call and its offers.

Two machines: ``OpenCallMachine`` moves the call, ``OfferMachine`` moves each offer. Guards are named
validators that raise a ``RuleViolation`` citing the law; the machines hold no data of their own, the
call (``Case``) and ``Offer`` rows do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import bindparam, exists
from sqlmodel import Session, func, select
from statemachine import State

from models.rows import execute_many
from models.tables import (
    Case,
    CommitteeMember,
    ConflictDeclaration,
    Offer,
    Organisation,
    Publication,
    Score,
)
from states import calendar, labels, periods
from states.cases import case_rows, organisations
from states.contract_tail import report_tail, settlement_tail
from states.engine import Context, LegalMachine, Step
from states.errors import RuleViolation
from states.grant_terms import (  # noqa: F401  (the handlers take them from here)
    report_call,
    report_deadline,
    return_deadline,
    settlement_facts,
    usage_deadline,
)
from states.procedures.open_call.names import CallState, OfferState
from states.publications import add_publications, publication_rows, publications_of  # noqa: F401
from states.rule_sets import Criterion, OpenCallRules
from states.rulebook import rules_for  # noqa: F401  (the handlers take it from here)
from states.scoring import ScoredOffer, applicable_criteria, rank
from states.text import Message, money, ntr, tr  # noqa: F401  (money: the handlers take it from here)

KIND = "open_call"
CODE_PREFIX = "OK"
ANNOUNCEMENT_CHANNELS = ("bip", "board", "website")  # art. 13 ust. 3


# --- queries the guards need --------------------------------------------------------------------------------
# Plain reads for an officer's command; in a tick's batch, what the procedure's ``load_batch`` loaded
# (``states.cases.case_rows``, states/loaders.py).


def offers_of(session: Session, case: Case) -> list[Offer]:
    return case_rows(session, Offer, case.id, order_by=(Offer.number,))


def offer_by_number(session: Session, case: Case, number: int) -> Offer | None:
    return next((o for o in offers_of(session, case) if o.number == number), None)


def members_of(session: Session, case: Case) -> list[CommitteeMember | Member]:
    return read_committee(session, case).members


def member_by_name(session: Session, case: Case, name: str) -> CommitteeMember | Member | None:
    return next((m for m in members_of(session, case) if m.name == name), None)


def declarations_of(session: Session, case: Case) -> dict[tuple[int, int], bool]:
    """(member id, offer id) → conflict declared, for every KPA art. 24 declaration in the call."""
    return read_committee(session, case).declared


def scored_pairs(session: Session, case: Case) -> set[tuple[int, int]]:
    """(member id, offer id) of every member who has scored an offer of the call (only after declaring)."""
    return read_committee(session, case).scored


@dataclass(frozen=True, slots=True)
class Member:
    """A committee member as a step reads it: its row's columns. No step changes a member once appointed, so the
    committee is read as columns, not as ORM objects; a member the step appoints is written at once and returned as
    one (``add_member``)."""

    id: int
    case_id: int
    name: str
    email: str
    affiliation: str
    organisation_id: int | None
    appointed_at: datetime


MEMBER_COLUMNS = tuple(f.name for f in fields(Member))  # the committee_members columns a step reads, in order


class Committee(NamedTuple):
    members: list[CommitteeMember | Member]  # by id; then those the step added and the session has not written
    declared: dict[tuple[int, int], bool]  # (member id, offer id) -> conflict declared (KPA art. 24)
    scored: set[tuple[int, int]]  # (member id, offer id) of every member who has scored an offer


def read_committee(session: Session, case: Case) -> Committee:
    """The call's committee in one query: its members, each with its declarations and whether it scored the
    declared offer. A member scores only after declaring no conflict (``OfferMachine.no_conflict_declared``), so
    every score is found beside its declaration; a declaration's member and offer are of the same call."""
    # Columns through the transaction's connection: no ORM objects to build, no flush to consider (members,
    # declarations and scores are written by statements of their own at once; a member added to the session
    # instead, and not written yet, is appended below, as ``case_rows`` appends a kind's pending rows).
    rows = session.connection().execute(_COMMITTEE, {"case_id": case.id}).all()
    members: list[CommitteeMember | Member] = []
    declared: dict[tuple[int, int], bool] = {}
    scored: set[tuple[int, int]] = set()
    width = len(MEMBER_COLUMNS)
    for row in rows:
        member_id = row[0]
        if not members or members[-1].id != member_id:
            members.append(Member(*row[:width]))
        offer_id, conflict, has_score = row[width:]
        if offer_id is not None:
            declared[(member_id, offer_id)] = bool(conflict)
            if has_score:
                scored.add((member_id, offer_id))
    members += [row for row in session.new if type(row) is CommitteeMember and row.case_id == case.id]
    return Committee(members, declared, scored)


class CallFacts:
    """What an open call's step decides from, read by its handler once, a kind at a time when first asked: the
    call's offers, its members, the committee's declarations and scores (one query), the points, the
    publications and the applicants (one query each). The handler passes it with the events it sends (``call=``:
    the machine's guards read it) and with the records it writes (the notification routing reads it), so that a
    guard or a notice does not query again what the step already read. The handler adds what it writes
    (``add_offer``, ``add_member``, ``add_publications``, ``declared``/``scored``), so the facts stay those of
    the database for the rest of the step; an offer's state is its row's, moved by the machine in place.

    It lives as long as the step that made it: made by the handler, passed along explicitly, never kept on the
    session or anywhere else (a cache that outlives a step is what states/loaders.py replaced)."""

    def __init__(self, session: Session, case: Case) -> None:
        self.session, self.case = session, case

    @cached_property
    def offers(self) -> list[Offer]:
        return offers_of(self.session, self.case)

    @cached_property
    def _committee(self) -> Committee:
        return read_committee(self.session, self.case)

    @property
    def members(self) -> list[CommitteeMember | Member]:
        return self._committee.members

    @property
    def declared(self) -> dict[tuple[int, int], bool]:
        """(member id, offer id) -> conflict declared (KPA art. 24)."""
        return self._committee.declared

    @property
    def scored(self) -> set[tuple[int, int]]:
        """(member id, offer id) of every member who has scored an offer of the call."""
        return self._committee.scored

    @cached_property
    def points(self) -> dict[int, dict[str, dict[str, Decimal]]]:
        """offer number -> member name -> criterion -> points."""
        return scores_by_offer(self.session, self.case)

    @cached_property
    def _publications(self) -> list[Publication]:
        return case_rows(self.session, Publication, self.case.id, order_by=(Publication.id,))

    @cached_property
    def applicants(self) -> dict[int, Organisation]:
        """The organisations behind the call's offers, by id (one query)."""
        return organisations(self.session, {o.organisation_id for o in self.offers})

    def publication_rows(self, subject: str) -> list[Publication]:
        return [row for row in self._publications if row.subject == subject]

    def publications(self, subject: str) -> dict[str, datetime]:
        return {row.channel: row.published_at for row in self.publication_rows(subject)}

    def offer(self, number: int) -> Offer | None:
        if "offers" not in self.__dict__:  # one offer asked (a filing's receipt): not the call's thousand read
            # Read once for the step (its routing asks for each recipient and each message); the row is the
            # session's own, moved in place. An offer not found is asked again: the step may file it meanwhile.
            asked = self.__dict__.setdefault("_offers_asked", {})
            found = asked.get(number)
            if found is None:
                found = self.session.exec(_OFFER_BY_NUMBER, params={"case_id": self.case.id, "number": number}).first()
                if found is not None:
                    asked[number] = found
            return found
        return next((o for o in self.offers if o.number == number), None)

    def member(self, name: str) -> CommitteeMember | None:
        return next((m for m in self.members if m.name == name), None)

    def applicant(self, offer: Offer) -> Organisation | None:
        if "applicants" not in self.__dict__ and "offers" not in self.__dict__:  # one offer's organisation only
            return self.session.get(Organisation, offer.organisation_id)
        return self.applicants.get(offer.organisation_id)

    @property
    def organisations(self) -> set[int]:
        return {o.organisation_id for o in self.offers}

    def able(self) -> list[CommitteeMember]:
        """Members not excluded by art. 15 ust. 2d."""
        in_call = self.organisations
        return [m for m in self.members if not excluded_member(m, in_call)]

    def eligible_scorers(self, offer: Offer) -> list[CommitteeMember]:
        """Members who declared no conflict for this offer (KPA art. 24) and are not excluded (art. 15 ust. 2d)."""
        return [m for m in self.able() if self.declared.get((m.id, offer.id)) is False]

    def ranking(self):
        """``ranking`` from these facts."""
        criteria, threshold = call_settings(self.case)
        ranked = [o for o in self.offers if o.state in SCORED_OFFER_STATES]
        return rank([ScoredOffer(o.number, o.received_at, self.points.get(o.number, {})) for o in ranked],
                    criteria, threshold)

    # what the step writes, added to what was read (a kind not read yet is read with it, from the session)
    def add_offer(self, offer: Offer) -> None:
        if "offers" in self.__dict__:
            self.offers.append(offer)

    def add_member(self, member: CommitteeMember | Member) -> None:
        if "_committee" in self.__dict__:
            self.members.append(member)

    def add_publications(self, rows: list[Publication]) -> None:
        if "_publications" in self.__dict__:
            self._publications.extend(rows)

    def add_points(self, offer: Offer, member: CommitteeMember, points: dict[str, Decimal]) -> None:
        if points:
            self.scored.add((member.id, offer.id))
        if points and "points" in self.__dict__:
            self.points.setdefault(offer.number, {})[member.name] = dict(points)


# Built once: building a statement costs about as much as running it on SQLite.
_OFFER_BY_NUMBER = select(Offer).where(Offer.case_id == bindparam("case_id"), Offer.number == bindparam("number"))


def call_facts(ctx_or_session, case: Case, call: CallFacts | None = None) -> CallFacts:
    """The step's facts when its handler passed them, else read now (a caller that passed none)."""
    if call is not None:
        return call
    session = getattr(ctx_or_session, "session", ctx_or_session)
    return CallFacts(session, case)


def add_member(session: Session, case: Case, member: CommitteeMember) -> Member:
    """Write an appointed member's row at once, by one statement, and return it as the committee is read (``Member``):
    no step changes a member, so the step goes on with its columns, not with an ORM object the unit of work would
    flush at commit."""
    values = {name: getattr(member, name) for name in MEMBER_COLUMNS if name != "id"}
    written = session.connection().execute(_INSERT_MEMBER, values)
    return Member(id=written.inserted_primary_key[0], **values)


# Declarations and scores are only ever read as columns (never as objects): one statement writes a step's
# rows, instead of an ORM object, a unit-of-work entry and an INSERT ... RETURNING for each, compiled once and
# handed to the driver as it is (models/rows.py ``execute_many``). The statement runs at once, so the member
# and offers it points at must have their rows (ids) already.


def _written(session: Session, *rows) -> None:
    if any(row.id is None for row in rows):
        session.flush()


def add_declarations(session: Session, case: Case, member: CommitteeMember, conflicts: list[tuple[Offer, bool]],
                     note: str, now: datetime) -> None:
    if not conflicts:
        return
    _written(session, member, *(offer for offer, _ in conflicts))
    execute_many(session.connection(), ("insert", "conflict_declarations"), ConflictDeclaration.__table__.insert,
                 _DECLARATION_COLUMNS, [{"member_id": member.id, "offer_id": offer.id, "conflict": conflict,
                                         "note": note, "declared_at": now} for offer, conflict in conflicts])


def add_scores(session: Session, case: Case, member: CommitteeMember, offer: Offer, points: dict[str, Decimal],
               now: datetime) -> None:
    if not points:
        return
    _written(session, member, offer)
    execute_many(session.connection(), ("insert", "scores"), Score.__table__.insert, _SCORE_COLUMNS,
                 [{"member_id": member.id, "offer_id": offer.id, "criterion": key, "points": value, "scored_at": now}
                  for key, value in points.items()])


# The columns each statement sets (execute_many compiles it once for them).
_DECLARATION_COLUMNS = ("member_id", "offer_id", "conflict", "note", "declared_at")
_SCORE_COLUMNS = ("member_id", "offer_id", "criterion", "points", "scored_at")


_MEMBERS = CommitteeMember.__table__
_DECLARATIONS = ConflictDeclaration.__table__
_INSERT_MEMBER = _MEMBERS.insert()
_COMMITTEE = (
    select(*(_MEMBERS.c[name] for name in MEMBER_COLUMNS), _DECLARATIONS.c.offer_id, _DECLARATIONS.c.conflict,
           exists().where(Score.member_id == _DECLARATIONS.c.member_id, Score.offer_id == _DECLARATIONS.c.offer_id))
    .select_from(_MEMBERS.outerjoin(_DECLARATIONS, _DECLARATIONS.c.member_id == _MEMBERS.c.id))
    .where(_MEMBERS.c.case_id == bindparam("case_id"))
    .order_by(_MEMBERS.c.id)
)


def call_settings(case: Case) -> tuple[tuple[Criterion, ...], Decimal]:
    # The criteria are fixed when the call is announced; validating them again for every score is waste.
    key = (case.mode, json.dumps(case.settings.get("criteria", ()), sort_keys=True))
    criteria = _CRITERIA.get(key)
    if criteria is None:
        parsed = tuple(Criterion.model_validate(c) for c in case.settings.get("criteria", ()))
        criteria = _CRITERIA[key] = applicable_criteria(parsed, case.mode)
    return criteria, Decimal(str(case.settings.get("pass_threshold", "0")))


_CRITERIA: dict[tuple[str, str], tuple[Criterion, ...]] = {}


def organisations_in_call(session: Session, case: Case) -> set[int]:
    return {o.organisation_id for o in offers_of(session, case)}


def excluded_member(member: CommitteeMember, offer_organisations: set[int]) -> bool:
    """art. 15 ust. 2d: a nominee of an organisation taking part in the call may not sit on the committee."""
    return member.organisation_id is not None and member.organisation_id in offer_organisations


def eligible_scorers(session: Session, case: Case, offer: Offer) -> list[CommitteeMember]:
    """Members who declared no conflict for this offer (KPA art. 24) and are not excluded (art. 15 ust. 2d)."""
    in_call = organisations_in_call(session, case)
    declared = declarations_of(session, case)
    return [m for m in members_of(session, case)
            if declared.get((m.id, offer.id)) is False and not excluded_member(m, in_call)]


def scores_by_offer(session: Session, case: Case) -> dict[int, dict[str, dict[str, Decimal]]]:
    with session.no_autoflush:  # scores are written by a statement of their own at once (add_scores)
        rows = session.exec(_SCORES_OF, params={"case_id": case.id}).all()
    result: dict[int, dict[str, dict[str, Decimal]]] = {}
    for number, member, criterion, points in rows:
        result.setdefault(number, {}).setdefault(member, {})[criterion] = points
    return result


_SCORES_OF = (select(Offer.number, CommitteeMember.name, Score.criterion, Score.points)
              .join(Offer, Offer.id == Score.offer_id)
              .join(CommitteeMember, CommitteeMember.id == Score.member_id)
              .where(Offer.case_id == bindparam("case_id")))


def ranking(session: Session, case: Case):
    """Every offer the committee has scored, in whatever state the offer and the call have moved on to since
    (selected, contracted, settled, withdrawn ...), ranked under the tie rule. An offer rejected at the
    formal review was never scored, so it is never ranked."""
    return CallFacts(session, case).ranking()


# --- the call's machine ---------------------------------------------------------------------------------------


class OpenCallMachine(LegalMachine):
    NAMES = CallState

    draft = State("projekt", initial=True, value=CallState.draft.value)
    announced = State("ogłoszony", value=CallState.announced.value)
    formal_review = State("ocena formalna", value=CallState.formal_review.value)
    substantive_review = State("ocena merytoryczna", value=CallState.substantive_review.value)
    selected = State("wybór ofert", value=CallState.selected.value)
    results_published = State("wyniki ogłoszone", value=CallState.results_published.value)
    in_execution = State("realizacja", value=CallState.in_execution.value)
    settled = State("rozliczony", final=True, value=CallState.settled.value)
    invalidated = State("unieważniony", final=True, value=CallState.invalidated.value)

    announce = draft.to(announced, validators=["announced_in_all_channels", "offer_deadline_far_enough",
                                               "execution_period_valid", "selection_after_deadline"])
    close_offers = announced.to(invalidated, cond="no_offer_filed") | announced.to(formal_review)
    # Validators sit on the first branch: it is always evaluated first, whichever branch is taken.
    finish_formal_review = (
        formal_review.to(invalidated, cond="no_offer_formally_valid", validators=["every_offer_reviewed"])
        | formal_review.to(substantive_review, validators=["committee_appointed"])
    )
    select_offers = (
        substantive_review.to(invalidated, cond="no_offer_passed", validators=["scoring_complete", "grants_lawful"])
        | substantive_review.to(selected)
    )
    publish_results = selected.to(results_published, validators=["results_in_all_channels"])
    start_execution = results_published.to(in_execution, cond="every_selected_offer_concluded")
    settle = in_execution.to(settled, cond="every_contract_settled")

    # Steps that keep the call's state: the states named here are the only ones that allow them.
    appoint_member = announced.to.itself() | formal_review.to.itself()
    file_offer = announced.to.itself(validators="offer_in_time") | formal_review.to.itself(validators="offer_in_time")
    declare_conflicts = formal_review.to.itself() | substantive_review.to.itself()
    review_offer = formal_review.to.itself()
    score = substantive_review.to.itself()
    sign_contract = results_published.to.itself() | in_execution.to.itself()
    # The invalidation is published once the call is invalidated, a final state (no transition leaves one).
    AFTER_FINAL = {"publish_invalidation": ("invalidated",)}

    STEPS = {
        "appoint_member": Step(tr("appointing a member"), "art. 15 ust. 2a"),
        "declare_conflicts": Step(tr("declaring"), "KPA art. 24"),
        "review_offer": Step(tr("the formal review"), "art. 15 ust. 1"),
        "score": Step(tr("scoring"), "art. 15 ust. 1"),
        "publish_results": Step(tr("publishing the results"), "art. 15 ust. 2h"),
        "publish_invalidation": Step(tr("publishing the invalidation"), "art. 18a ust. 2"),
        "sign_contract": Step(tr("signing a contract"), "art. 15 ust. 2h; art. 16 ust. 1"),
    }

    BASIS = {
        "announce": "art. 13 ust. 1-3",
        "close_offers->invalidated": "art. 18a ust. 1 pkt 1",
        "close_offers": "art. 13 ust. 2 pkt 5",
        "finish_formal_review->invalidated": "art. 18a ust. 1 pkt 2",
        "finish_formal_review": "art. 15 ust. 2a-2f",
        "select_offers->invalidated": "art. 18a ust. 1 pkt 2",
        "select_offers": "art. 15 ust. 1, ust. 2g",
        "publish_results": "art. 15 ust. 2h-2i",
        "start_execution": "art. 16 ust. 1",
        "settle": "art. 18; ufp art. 251-252",
        "appoint_member": "art. 15 ust. 2a",
        "file_offer": "art. 14",
        "declare_conflicts": "KPA art. 24; art. 15 ust. 2d",
        "review_offer": "art. 15 ust. 1",
        "score": "art. 15 ust. 1",
        "publish_invalidation": "art. 18a ust. 2",
        "sign_contract": "art. 15 ust. 2h; art. 16 ust. 1",
    }

    @classmethod
    def refusal(cls, event: str, case: Case, state: str, **facts) -> RuleViolation:
        if event == "file_offer":
            if state == cls.draft.value:
                return RuleViolation("call_not_announced", tr("{code}: the call is not announced", code=case.code),
                                     basis="art. 13 ust. 1")
            return offer_late(case, facts["received_at"])  # the offers closed with the call's stage
        return super().refusal(event, case, state, **facts)

    # guard for "file_offer"
    @staticmethod
    def offer_in_time(case: Case, received_at: datetime, postmarked_on: date | None, **_) -> None:
        if offer_is_late(case, received_at, postmarked_on):
            raise offer_late(case, received_at)

    # guards for "announce"
    def announced_in_all_channels(self, ctx: Context, case: Case, call: CallFacts | None = None, **_) -> None:
        published = call_facts(ctx, case, call).publications("announcement")
        missing = [c for c in ANNOUNCEMENT_CHANNELS if c not in published]
        if missing:
            raise RuleViolation(
                "announcement_channels",
                tr("The announcement must be published in BIP, on the notice board and on the website; "
                   "missing: {missing}", missing=labels.channels(missing)),
                basis="art. 13 ust. 3",
            )

    def offer_deadline_far_enough(self, ctx: Context, case: Case, rules: OpenCallRules, announced_deadline: date,
                                  call: CallFacts | None = None, **_) -> None:
        # The minimum period binds the office's own choice: compare the announced day, not the day a
        # Saturday or holiday shift (KC art. 115) would move it to for the applicants.
        latest = calendar.latest_of(call_facts(ctx, case, call).publications("announcement").values())
        earliest = periods.OFFER_DEADLINE_MINIMUM.earliest(latest, rules.min_offer_days)
        chosen = announced_deadline
        if chosen < earliest:
            raise RuleViolation(
                "offer_deadline_too_short",
                ntr("The offer deadline {chosen} is less than {n} day after the latest publication ({published}); "
                    "the earliest valid is {earliest}",
                    "The offer deadline {chosen} is less than {n} days after the latest publication ({published}); "
                    "the earliest valid is {earliest}",
                    rules.min_offer_days, chosen=chosen, published=calendar.local_date(latest), earliest=earliest),
                basis="art. 13 ust. 1",
            )

    def execution_period_valid(self, case: Case, rules: OpenCallRules, **_) -> None:
        start = date.fromisoformat(case.data["execution_start"])
        end = date.fromisoformat(case.data["execution_end"])
        if end < start or calendar.add_months(start, 12 * rules.max_contract_years) < end:
            raise RuleViolation(
                "execution_period",
                ntr("The execution period {start} – {end} is invalid (it ends before it starts or is longer than "
                    "{n} year)",
                    "The execution period {start} – {end} is invalid (it ends before it starts or is longer than "
                    "{n} years)",
                    rules.max_contract_years, start=start, end=end),
                basis="art. 13 ust. 2 pkt 4, art. 16 ust. 1",
            )

    def selection_after_deadline(self, case: Case, **_) -> None:
        if case.selection_date < calendar.local_date(case.offer_deadline):
            raise RuleViolation(
                "selection_before_deadline",
                tr("The selection date {selection_date} falls before the offer deadline", selection_date=case.selection_date),
                basis="art. 13 ust. 2 pkt 6",
            )

    # guards for "close_offers" / "finish_formal_review"
    @staticmethod
    def no_offer_filed(offers_filed: int, **_) -> bool:
        return offers_filed == 0

    def every_offer_reviewed(self, ctx: Context, case: Case, call: CallFacts | None = None, **_) -> None:
        pending = [o.number for o in call_facts(ctx, case, call).offers if o.state in (OfferState.received, OfferState.correction_requested)]
        if pending:
            raise RuleViolation(
                "formal_review_incomplete",
                tr("The formal review is not complete; offers still pending: {numbers}", numbers=pending),
                basis="art. 15 ust. 1",
            )

    def no_offer_formally_valid(self, ctx: Context, case: Case, call: CallFacts | None = None, **_) -> bool:
        return not any(o.state == OfferState.formally_accepted for o in call_facts(ctx, case, call).offers)

    def committee_appointed(self, ctx: Context, case: Case, rules: OpenCallRules, call: CallFacts | None = None,
                            **_) -> None:
        able = call_facts(ctx, case, call).able()
        if len(able) < rules.min_committee_members:
            raise RuleViolation(
                "committee_too_small",
                ntr("The committee has {n} member able to score; at least {minimum} are required",
                    "The committee has {n} members able to score; at least {minimum} are required",
                    len(able), minimum=rules.min_committee_members),
                basis="art. 15 ust. 2a-2d",
            )

    # guards for "select_offers"
    def scoring_complete(self, ctx: Context, case: Case, call: CallFacts | None = None, **_) -> None:
        waiting = [o.number for o in call_facts(ctx, case, call).offers if o.state == OfferState.formally_accepted]
        if waiting:
            raise RuleViolation(
                "scoring_incomplete",
                tr("The committee has not yet scored offers: {numbers}", numbers=waiting),
                basis="art. 15 ust. 1",
            )

    def grants_lawful(self, ctx: Context, case: Case, grants: dict[int, Decimal], call: CallFacts | None = None,
                      **_) -> None:
        call = call_facts(ctx, case, call)
        results = {r.number: r for r in call.ranking()}
        offers = {o.number: o for o in call.offers}
        for number, amount in grants.items():
            offer = offers.get(number)
            if offer is None or number not in results:
                raise RuleViolation(
                    "grant_to_unscored_offer",
                    tr("Offer {number} was not scored by the committee and cannot receive a grant", number=number),
                    basis="art. 15 ust. 1",
                )
            if not results[number].passed:
                raise RuleViolation(
                    "grant_below_threshold",
                    tr("Offer {number} scored {percent}% and did not reach the call's threshold", number=number, percent=results[number].percent),
                    basis="art. 15 ust. 1; art. 13 ust. 2 pkt 6",
                )
            if amount > offer.requested_grant:
                raise RuleViolation(
                    "grant_above_request",
                    tr("Grant for offer {number}: {amount} > requested {requested_grant}", number=number, amount=money(amount), requested_grant=money(offer.requested_grant)),
                    basis="art. 15 ust. 2g",
                )
        total = sum(grants.values(), Decimal(0))
        if total > case.budget:
            raise RuleViolation(
                "grants_exceed_funds",
                tr("Total grants {total} > funds announced for the call {budget}", total=money(total), budget=money(case.budget)),
                basis="art. 13 ust. 2 pkt 2",
            )
        if not grants and any(r.passed for r in results.values()):
            raise RuleViolation(
                "no_grant_chosen",
                tr("Some offers passed the threshold: choose at least one"),
                basis="art. 15 ust. 2g",
            )

    def no_offer_passed(self, grants: dict[int, Decimal], **_) -> bool:
        return not grants

    def results_in_all_channels(self, ctx: Context, case: Case, call: CallFacts | None = None, **_) -> None:
        published = call_facts(ctx, case, call).publications("results")
        missing = [c for c in ANNOUNCEMENT_CHANNELS if c not in published]
        if missing:
            raise RuleViolation(
                "results_channels",
                tr("The results must be published in all three channels; missing: {missing}",
                   missing=labels.channels(missing)),
                basis="art. 15 ust. 2h",
            )

    def every_selected_offer_concluded(self, ctx: Context, case: Case, call: CallFacts | None = None, **_) -> bool:
        return all(o.state != OfferState.selected for o in call_facts(ctx, case, call).offers)

    def every_contract_settled(self, ctx: Context, case: Case, call: CallFacts | None = None, **_) -> bool:
        open_states = CONTRACTED_OFFER_STATES - {OfferState.settled}  # a contract not yet settled
        return all(o.state not in open_states for o in call_facts(ctx, case, call).offers)


# --- the offer's machine --------------------------------------------------------------------------------------


class OfferMachine(LegalMachine):
    NAMES = OfferState

    received = State("złożona", initial=True, value=OfferState.received.value)
    correction_requested = State("wezwana do uzupełnienia", value=OfferState.correction_requested.value)
    formally_accepted = State("poprawna formalnie", value=OfferState.formally_accepted.value)
    formally_rejected = State("odrzucona formalnie", final=True, value=OfferState.formally_rejected.value)
    scored = State("oceniona", value=OfferState.scored.value)
    selected = State("wybrana", value=OfferState.selected.value)
    not_selected = State("niewybrana", final=True, value=OfferState.not_selected.value)
    withdrawn = State("rezygnacja", final=True, value=OfferState.withdrawn.value)
    contracted = State("umowa zawarta", value=OfferState.contracted.value)
    # The contract -> report -> settlement tail every grant shares (states/contract_tail.py).
    (report_due, report_overdue, report_submitted,
     task_ended, report_overdue_event, submit_report) = report_tail(contracted, OfferState)
    (report_accepted, settled,
     accept_report, request_report_corrections, settle) = settlement_tail(report_due, report_submitted, OfferState)

    accept_formally = received.to(formally_accepted) | correction_requested.to(formally_accepted)
    reject_formally = received.to(formally_rejected) | correction_requested.to(formally_rejected)
    request_correction = received.to(correction_requested, validators="corrections_allowed")
    correction_expired = correction_requested.to(formally_rejected)
    # The organisation files its corrected offer (a new version on the model form) within the window: the defects
    # answered, the offer waits for the officer's formal review again, as when it was first received.
    file_correction = correction_requested.to(received, validators="correction_in_time")
    complete_scoring = formally_accepted.to(scored)
    decide = scored.to(selected, cond="granted") | scored.to(not_selected)
    withdraw = selected.to(withdrawn)
    sign_contract = selected.to(contracted)
    # A step that keeps the offer's state: a member scores an offer only while it waits for its scores, and only
    # a member who may (the validators, in this order).
    score = formally_accepted.to.itself(validators=["member_not_excluded", "no_conflict_declared", "not_yet_scored"])

    BASIS = {
        "accept_formally": "art. 15 ust. 1; ogłoszenie konkursu (kryteria formalne)",
        "reject_formally": "ogłoszenie konkursu (kryteria formalne)",
        "request_correction": "ogłoszenie konkursu (uzupełnienie braków formalnych)",
        "correction_expired": "ogłoszenie konkursu (uzupełnienie braków formalnych)",
        "file_correction": "ogłoszenie konkursu (uzupełnienie braków formalnych)",
        "complete_scoring": "art. 15 ust. 1",
        "decide": "art. 15 ust. 2g",
        "withdraw": "art. 16 ust. 1",
        "sign_contract": "art. 16 ust. 1",
        "task_ended": "art. 18 ust. 1",
        "report_overdue": "art. 18 ust. 1; umowa (wezwanie do złożenia sprawozdania)",
        "submit_report": "art. 18 ust. 1",
        "accept_report": "art. 18 ust. 1",
        "request_report_corrections": "art. 18 ust. 1",
        "settle": "ufp art. 251-252",
        "score": "art. 15 ust. 1",
    }

    STEPS = {
        "file_correction": Step(tr("filing a corrected offer"), "ogłoszenie konkursu (uzupełnienie braków formalnych)"),
    }

    @classmethod
    def refusal(cls, event: str, case: Case, state: str, **facts) -> RuleViolation:
        if event == "score":
            return RuleViolation("offer_not_scorable",
                                 tr("Offer {number} is in the state {state} and is not scored",
                                    number=facts["offer"].number, state=labels.state("offer", state)),
                                 basis="art. 15 ust. 1")
        return super().refusal(event, case, state, **facts)

    # guards for "score": they decide from the call's facts the handler read (``CallFacts``)
    @staticmethod
    def member_not_excluded(call: CallFacts, member: CommitteeMember, **_) -> None:
        if excluded_member(member, call.organisations):
            raise RuleViolation(
                "member_excluded",
                tr("{name} was nominated by an organisation taking part in the call and does not score",
                   name=member.name),
                basis="art. 15 ust. 2d",
            )

    @staticmethod
    def no_conflict_declared(call: CallFacts, offer: Offer, member: CommitteeMember, **_) -> None:
        conflict = call.declared.get((member.id, offer.id))
        if conflict is None:
            raise RuleViolation(
                "declaration_missing",
                tr("{name} has not declared (no) conflict of interest for offer {number}", name=member.name,
                   number=offer.number),
                basis="KPA art. 24; art. 15 ust. 2d",
            )
        if conflict:
            raise RuleViolation(
                "conflict_of_interest",
                tr("{name} declared a conflict of interest for offer {number} and may not score it", name=member.name,
                   number=offer.number),
                basis="art. 15 ust. 2d; KPA art. 24 §1",
            )

    @staticmethod
    def not_yet_scored(call: CallFacts, offer: Offer, member: CommitteeMember, **_) -> None:
        if (member.id, offer.id) in call.scored:
            raise RuleViolation("already_scored", tr("{name} has already scored offer {number}", name=member.name,
                                                     number=offer.number))

    # guard for "file_correction": the handler passes the moment of receipt and the window's end (its deadline row)
    @staticmethod
    def correction_in_time(received_at: datetime, correct_by: datetime | None, **_) -> None:
        if correct_by is None or received_at > correct_by:
            raise RuleViolation(
                "correction_late",
                tr("The correction arrived {received}, after the correction deadline {deadline}", received=received_at,
                   deadline=correct_by if correct_by is not None else "—"),
                basis="ogłoszenie konkursu (uzupełnienie braków formalnych)",
            )

    @staticmethod
    def corrections_allowed(rules: OpenCallRules, **_) -> None:
        if rules.correction_window_days <= 0:
            raise RuleViolation(
                "no_correction_window",
                tr("The call does not allow formal defects to be corrected"),
                basis="ogłoszenie konkursu",
            )

    @staticmethod
    def granted(amount: Decimal | None = None, **_) -> bool:
        return bool(amount)


# An offer is in one of these states exactly when the committee has scored it (complete_scoring): "scored"
# and every state reachable from it. Read from the machine, so a state added after scoring is ranked
# without anyone remembering to list it here.
SCORED_OFFER_STATES = OfferMachine.states_after(OfferMachine.scored.value)
# The same for a signed contract: the states of an offer that has one (a regranting operator's included).
CONTRACTED_OFFER_STATES = OfferMachine.states_after(OfferMachine.contracted.value)


def next_offer_number(session: Session, case: Case) -> int:
    return (session.exec(select(func.max(Offer.number)).where(Offer.case_id == case.id)).one() or 0) + 1


def offer_deadline_moment(deadline: date) -> calendar.ComputedDeadline:
    """The offer deadline is the end of the announced day; a party's deadline on a day off moves (KC art. 115)."""
    return periods.OFFER_DEADLINE.on(deadline)


def offer_is_late(case: Case, received_at: datetime, postmarked_on: date | None) -> bool:
    """Receipt rule per call: ``received`` counts arrival; ``postmarked`` lets a Polish Post postmark on the
    last day save the deadline (KPA art. 57 §5)."""
    if received_at <= case.offer_deadline:
        return False
    return not (case.receipt_rule == "postmarked" and postmarked_on is not None
                and postmarked_on <= calendar.local_date(case.offer_deadline))


def offer_late(case: Case, received_at: datetime) -> RuleViolation:
    return RuleViolation(
        "offer_late",
        tr("The offer arrived {received}, after the offer deadline {deadline} ({receipt_rule})",
           received=received_at, deadline=case.offer_deadline, receipt_rule=labels.receipt_rule(case.receipt_rule)),
        basis="art. 13 ust. 2 pkt 5; KPA art. 57 §5",
    )


def ranking_rows(session: Session, case: Case, call: CallFacts | None = None) -> Sequence[dict]:
    """The ranking as people read it: place, offer, the mean of its members' weighted points and their share
    of the maximum, whether it passed, and what became of it (the offer's state and grant)."""
    call = call_facts(session, case, call)
    offers = {o.number: o for o in call.offers}
    found = call.applicants
    rows = []
    for r in call.ranking():
        offer = offers[r.number]
        org = found.get(offer.organisation_id)
        rows.append({"rank": r.rank, "offer": r.number, "organisation": org.name if org else "",
                     "title": offer.title, "points": r.mean_total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                     "percent": r.percent, "passed": r.passed, "members": r.members,
                     "requested": offer.requested_grant, "granted": offer.granted_amount, "state": offer.state})
    return rows


def max_points(case: Case) -> Decimal:
    """The weighted maximum an offer's points are a share of (the call's criteria, as announced)."""
    criteria, _ = call_settings(case)
    return sum((c.weight * c.max_points for c in criteria), Decimal(0))


def unranked_reason(case: Case) -> Message:
    """Why a call's ranking is empty, for whoever expected one: no offer has been scored (yet)."""
    if case.state == OpenCallMachine.invalidated.value:
        return tr("The call was invalidated before the committee scored any offer (art. 18a ust. 1), so "
                  "there is no ranking.")
    return tr("The committee has not scored any offer yet, so the ranking is empty. An offer is ranked once every "
              "committee member without a conflict of interest has scored it (art. 15 ust. 1). Stage of the call: "
              "{stage}.", stage=labels.state(OpenCallMachine, case.state))
