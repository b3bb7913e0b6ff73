"""Every guard of the open call refuses with its legal basis and leaves the database exactly as it was.

The builders at the top set a call up step by step on a simulated clock (Leszno, 2026: the worked example
of procedures.md §8, published on Friday 2 January). Other test modules reuse them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case, Contract, Offer
from states import calendar, inputs
from states.cases import register_organisation
from states.engine import Actor, execute
from states.errors import DomainError, InvalidInput, NotPermitted, RuleViolation
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.rule_sets import STATUTORY_CRITERIA, Criterion
from states.scoring import RankedOffer, ScoredOffer, propose_grants, rank
from tests.conftest import dump

OFFICER = Actor("Anna Urzędniczka", "officer")
MEMBERS = ("Jan Kowalski", "Ewa Nowak", "Piotr Wiśniewski")
KRS = tuple(f"00001000{n:02d}" for n in range(1, 10))
PUBLISHED = {"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00", "website": "2026-01-02T11:00+01:00"}
ANNOUNCED_AT = "2026-01-02T12:00+01:00"
KEYS = tuple(cr.key for cr in STATUTORY_CRITERIA)  # capacity, costs, quality, own_funds, contribution, track_record
HIGH = (9, 8, 9, 4, 4, 5)  # 39 of 45 = 86.67 %
LOW = (3, 3, 3, 1, 1, 2)  # 13 of 45 = 28.89 %: below the 60 % threshold


# --- builders -------------------------------------------------------------------------------------------------


def do(url: str, handler, command=None, at: str | None = None, actor: Actor = OFFICER):
    return execute(handler, command, actor=actor, at=at, url=url)


def refused(url: str, error: type[DomainError], basis: str | None, handler, command, at: str,
            actor: Actor = OFFICER) -> DomainError:
    """Run a command that must be refused: the refusal cites ``basis`` and the database is unchanged."""
    before = dump(url)
    with pytest.raises(error) as info:
        do(url, handler, command, at, actor)
    if basis is not None:
        assert basis in (info.value.basis or ""), info.value.message()
        assert basis in info.value.message()
    assert dump(url) == before
    return info.value


def register(url: str, count: int = 6) -> None:
    for i in range(count):
        do(url, register_organisation, inputs.RegisterOrganisation(
            name=f"Organizacja {i + 1}", legal_form="stowarzyszenie", krs=KRS[i], address="Leszno",
            email=f"org{i + 1}@example.org", contact_person="Prezes"), "2026-01-02T08:00+01:00")


def create(url: str, *, mode: str = "support", receipt_rule: str = "received", budget: str = "100000.00") -> str:
    return do(url, open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Aktywność lokalna 2026", task_area="pożytek publiczny",
                                                    budget=Decimal(budget), mode=mode, receipt_rule=receipt_rule),
              "2026-01-02T08:30+01:00")["code"]


def announcement(code: str, offer_deadline: str = "2026-01-23", published: dict | None = None,
                 selection_date: str = "2026-02-13", **extra) -> open_call_inputs.AnnounceCall:
    return open_call_inputs.AnnounceCall(code=code, offer_deadline=offer_deadline, selection_date=selection_date,
                          execution_start="2026-03-01", execution_end="2027-12-31",
                          published=PUBLISHED if published is None else published, **extra)


def announced_call(url: str, orgs: int = 6, **create_options) -> str:
    register(url, orgs)
    code = create(url, **create_options)
    do(url, open_call_handlers.announce_call, announcement(code), ANNOUNCED_AT)
    return code


def appoint(url: str, code: str, members=MEMBERS, at: str = "2026-01-05T09:00+01:00") -> None:
    for name in members:
        do(url, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=name), at)


def file(url: str, code: str, org: int, grant: str = "30000.00", at: str = "2026-01-12T10:00+01:00",
         **extra) -> int:
    return do(url, open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=KRS[org], title=f"Zadanie {org + 1}",
                                              requested_grant=Decimal(grant), task_start=date(2026, 4, 1),
                                              task_end=date(2026, 6, 30), **extra), at)["offer"]


def close_offers(url: str) -> None:
    from states.tick import tick

    tick("2026-01-24T08:00+01:00", url=url)


def in_substantive_review(url: str, grants: tuple[str, ...] = ("40000.00", "30000.00", "20000.00"),
                          **create_options) -> str:
    """Three offers filed and formally accepted, three city members appointed: the committee may score."""
    code = announced_call(url, **create_options)
    appoint(url, code)
    for org, grant in enumerate(grants):
        file(url, code, org, grant, at=f"2026-01-{12 + org:02d}T10:00+01:00")
    close_offers(url)
    for number in range(1, len(grants) + 1):
        do(url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="accept"), "2026-01-26T10:00+01:00")
    do(url, open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    return code


def declare(url: str, code: str, member: str, conflicts: tuple[int, ...] = (), at: str = "2026-02-03T09:00+01:00"):
    do(url, open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=member, conflicts=conflicts), at,
       Actor(member, "committee_member"))


def points(values, keys=KEYS) -> dict[str, Decimal]:
    return dict(zip(keys, map(Decimal, values), strict=True))


def score_cmd(code: str, number: int, member: str, values=HIGH, keys=KEYS) -> open_call_inputs.ScoreOffer:
    return open_call_inputs.ScoreOffer(code=code, number=number, member=member, points=points(values, keys))


def score(url: str, code: str, number: int, member: str, values=HIGH, keys=KEYS,
          at: str = "2026-02-05T09:00+01:00") -> None:
    do(url, open_call_handlers.score_offer, score_cmd(code, number, member, values, keys), at, Actor(member, "committee_member"))


def scored_call(url: str, per_offer=(HIGH, HIGH, LOW), **options) -> str:
    """Every member declared (no conflicts) and scored every offer: ready for the Mayor's choice."""
    code = in_substantive_review(url, **options)
    for member in MEMBERS:
        declare(url, code, member)
    for number, values in enumerate(per_offer, start=1):
        for member in MEMBERS:
            score(url, code, number, member, values)
    return code


def published_results(url: str, grants: dict[int, str] | None = None, **options) -> str:
    code = scored_call(url, **options)
    chosen = {n: Decimal(a) for n, a in (grants or {1: "40000.00", 2: "25000.00"}).items()}
    do(url, open_call_handlers.select_offers, open_call_inputs.SelectOffers(code=code, grants=chosen, decision_ref="Zarządzenie nr 45/2026"),
       "2026-02-13T12:00+01:00")
    do(url, open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="results", published={
        "bip": "2026-02-16T09:00+01:00", "board": "2026-02-16T09:30+01:00", "website": "2026-02-16T10:00+01:00"}),
       "2026-02-16T10:30+01:00")
    return code


def session(url: str) -> Session:
    return Session(get_engine(normalise_url(url)))


def the_case(s: Session, code: str) -> Case:
    return s.exec(select(Case).where(Case.code == code)).one()


# --- the announcement (art. 13) -------------------------------------------------------------------------------


def test_offer_deadline_must_be_21_days_after_the_publication(db_url):
    register(db_url)
    code = create(db_url)
    error = refused(db_url, RuleViolation, "art. 13 ust. 1", open_call_handlers.announce_call,
                    announcement(code, offer_deadline="2026-01-22"), ANNOUNCED_AT)
    assert error.rule == "offer_deadline_too_short" and "2026-01-23" in error.message()

    result = do(db_url, open_call_handlers.announce_call, announcement(code, offer_deadline="2026-01-23"), ANNOUNCED_AT)
    assert result["state"] == "announced"
    with session(db_url) as s:
        assert the_case(s, code).offer_deadline == datetime(2026, 1, 23, 22, 59, 59, tzinfo=UTC)


def test_offer_deadline_counts_from_the_latest_channel(db_url):
    register(db_url)
    code = create(db_url)
    late_website = {**PUBLISHED, "website": "2026-01-05T08:00+01:00"}  # Monday: 21 days -> Monday 26 January
    at = "2026-01-05T12:00+01:00"
    error = refused(db_url, RuleViolation, "art. 13 ust. 1", open_call_handlers.announce_call,
                    announcement(code, offer_deadline="2026-01-23", published=late_website), at)
    assert "2026-01-26" in error.message() and "2026-01-05" in error.message()
    assert do(db_url, open_call_handlers.announce_call, announcement(code, offer_deadline="2026-01-26", published=late_website),
              at)["state"] == "announced"


def test_minimum_offer_period_is_checked_on_the_announced_day_not_the_shifted_one(db_url):
    # 21 days after Monday 5 January is Monday 26 January; the office announcing Sunday 25 January sets a
    # 20-day period, although KC art. 115 would carry the party's deadline over to the Monday.
    register(db_url)
    code = create(db_url)
    late_website = {**PUBLISHED, "website": "2026-01-05T08:00+01:00"}
    refused(db_url, RuleViolation, "art. 13 ust. 1", open_call_handlers.announce_call,
            announcement(code, offer_deadline="2026-01-25", published=late_website), "2026-01-05T12:00+01:00")


def test_announcement_needs_all_three_channels(db_url):
    register(db_url)
    code = create(db_url)
    two = {k: v for k, v in PUBLISHED.items() if k != "board"}
    error = refused(db_url, RuleViolation, "art. 13 ust. 3", open_call_handlers.announce_call, announcement(code, published=two),
                    ANNOUNCED_AT)
    assert "tablica ogłoszeń urzędu" in error.message()


@pytest.mark.parametrize(("chosen", "stored"), [
    ("2026-02-07", "2026-02-09"),  # Saturday -> Monday
    ("2026-04-06", "2026-04-07"),  # Easter Monday -> Tuesday
    ("2026-05-01", "2026-05-04"),  # 1 May (Fri), Saturday, 3 May (Sun, a holiday) -> Monday
])
def test_offer_deadline_on_a_day_off_moves_to_the_next_working_day(db_url, chosen, stored):
    register(db_url)
    code = create(db_url)
    result = do(db_url, open_call_handlers.announce_call, announcement(code, offer_deadline=chosen, selection_date="2026-05-29"),
                ANNOUNCED_AT)
    assert "KC art. 115" in result["explanation"]
    with session(db_url) as s:
        case = the_case(s, code)
        due = case.offer_deadline.astimezone(calendar.WARSAW)
        assert due.date().isoformat() == stored and (due.hour, due.minute, due.second) == (23, 59, 59)


def test_unknown_criterion_in_the_announcement_is_refused(db_url):
    register(db_url)
    code = create(db_url)
    cmd = announcement(code, criteria=(open_call_inputs.CriterionSetting(key="charm", max_points=Decimal(10)),))
    error = refused(db_url, InvalidInput, "art. 15 ust. 1", open_call_handlers.announce_call, cmd, ANNOUNCED_AT)
    assert "charm" in error.message()


# --- offers: the deadline and the receipt rule (art. 13 ust. 2 pkt 5, KPA art. 57 §5) -------------------------


def test_offer_after_the_deadline_is_refused_under_received(db_url):
    code = announced_call(db_url)
    offer = open_call_inputs.FileOffer(code=code, organisation_krs=KRS[0], title="Spóźniona", requested_grant=Decimal("5000.00"),
                        task_start=date(2026, 4, 1), task_end=date(2026, 6, 30))
    error = refused(db_url, RuleViolation, "art. 13 ust. 2 pkt 5", open_call_handlers.file_offer, offer, "2026-01-24T00:00:01+01:00")
    assert error.rule == "offer_late" and "liczy się data wpływu do urzędu" in error.message()
    # the last second of the last day still counts
    assert do(db_url, open_call_handlers.file_offer, offer.model_copy(update={"received_at": datetime.fromisoformat(
        "2026-01-23T23:59:59+01:00")}), "2026-01-24T00:00:02+01:00")["offer"] == 1


def test_postmark_on_the_last_day_saves_the_offer_only_under_postmarked(db_url):
    register(db_url)
    postmarked = create(db_url, receipt_rule="postmarked")
    received = create(db_url, receipt_rule="received")
    for code in (postmarked, received):
        do(db_url, open_call_handlers.announce_call, announcement(code), ANNOUNCED_AT)
    by_post = {"organisation_krs": KRS[0], "title": "Pocztą", "requested_grant": Decimal("5000.00"),
               "task_start": date(2026, 4, 1), "task_end": date(2026, 6, 30), "postmarked_on": date(2026, 1, 23)}
    at = "2026-01-26T10:00+01:00"

    error = refused(db_url, RuleViolation, "KPA art. 57 §5", open_call_handlers.file_offer, open_call_inputs.FileOffer(code=received, **by_post), at)
    assert error.rule == "offer_late"
    refused(db_url, RuleViolation, "KPA art. 57 §5", open_call_handlers.file_offer,
            open_call_inputs.FileOffer(code=postmarked, **{**by_post, "postmarked_on": date(2026, 1, 24)}), at)
    assert do(db_url, open_call_handlers.file_offer, open_call_inputs.FileOffer(code=postmarked, **by_post), at)["offer"] == 1
    with session(db_url) as s:
        offer = s.exec(select(Offer)).one()
        assert offer.postmarked_on == date(2026, 1, 23)
        assert offer.received_at == datetime(2026, 1, 26, 9, 0, tzinfo=UTC)


# --- the committee (art. 15 ust. 2a-2d, KPA art. 24) ----------------------------------------------------------


def test_member_with_a_declared_conflict_cannot_score(db_url):
    code = in_substantive_review(db_url)
    declare(db_url, code, "Ewa Nowak", conflicts=(2,))
    error = refused(db_url, RuleViolation, "art. 15 ust. 2d", open_call_handlers.score_offer, score_cmd(code, 2, "Ewa Nowak"),
                    "2026-02-05T09:00+01:00", Actor("Ewa Nowak", "committee_member"))
    assert "KPA art. 24" in error.message() and error.rule == "conflict_of_interest"
    score(db_url, code, 1, "Ewa Nowak")  # no conflict with offer 1


def test_member_who_has_not_declared_cannot_score(db_url):
    code = in_substantive_review(db_url)
    error = refused(db_url, RuleViolation, "KPA art. 24", open_call_handlers.score_offer, score_cmd(code, 1, "Jan Kowalski"),
                    "2026-02-05T09:00+01:00", Actor("Jan Kowalski", "committee_member"))
    assert error.rule == "declaration_missing"


def test_nominee_of_a_bidding_organisation_cannot_be_appointed(db_url):
    code = announced_call(db_url, orgs=7)
    file(db_url, code, 0)
    nominee = open_call_inputs.AppointMember(code=code, name="Maria Zielińska", affiliation="ngo", organisation_krs=KRS[0])
    error = refused(db_url, RuleViolation, "art. 15 ust. 2d", open_call_handlers.appoint_member, nominee, "2026-01-13T09:00+01:00")
    assert error.rule == "nominee_of_bidder"
    do(db_url, open_call_handlers.appoint_member, nominee.model_copy(update={"organisation_krs": KRS[6]}), "2026-01-13T09:00+01:00")


def test_nominee_appointed_before_her_organisation_filed_cannot_score(db_url):
    code = announced_call(db_url)
    appoint(db_url, code)
    do(db_url, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name="Maria Zielińska", affiliation="ngo",
                                                  organisation_krs=KRS[3]), "2026-01-05T09:30+01:00")
    file(db_url, code, 0)
    file(db_url, code, 3, at="2026-01-13T10:00+01:00")  # her organisation takes part after all
    close_offers(db_url)
    for number in (1, 2):
        do(db_url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="accept"),
           "2026-01-26T10:00+01:00")
    do(db_url, open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    for member in (*MEMBERS, "Maria Zielińska"):
        declare(db_url, code, member)
    error = refused(db_url, RuleViolation, "art. 15 ust. 2d", open_call_handlers.score_offer, score_cmd(code, 1, "Maria Zielińska"),
                    "2026-02-05T09:00+01:00", Actor("Maria Zielińska", "committee_member"))
    assert error.rule == "member_excluded"
    # the others' scores complete the offer without her
    for member in MEMBERS:
        score(db_url, code, 1, member)
    with session(db_url) as s:
        assert s.exec(select(Offer).where(Offer.number == 1)).one().state == "scored"


def test_committee_member_cannot_score_for_another_member(db_url):
    code = in_substantive_review(db_url)
    declare(db_url, code, "Ewa Nowak")
    error = refused(db_url, NotPermitted, "art. 15 ust. 2a", open_call_handlers.score_offer, score_cmd(code, 1, "Ewa Nowak"),
                    "2026-02-05T09:00+01:00", Actor("Jan Kowalski", "committee_member"))
    assert error.rule == "not_your_seat"


def test_auditor_cannot_run_a_mutating_command(db_url):
    register(db_url)
    refused(db_url, NotPermitted, None, open_call_handlers.create_call,
            open_call_inputs.CreateOpenCall(title="X", task_area="Y", budget=Decimal("1000.00")), "2026-01-02T09:00+01:00",
            Actor("audytor", "auditor"))
    code = create(db_url)
    error = refused(db_url, NotPermitted, None, open_call_handlers.announce_call, announcement(code), ANNOUNCED_AT,
                    Actor("audytor", "auditor"))
    assert error.rule == "role_not_permitted" and "auditor" in error.message()


# --- scores (art. 15 ust. 1) ----------------------------------------------------------------------------------


def test_points_above_the_criterion_maximum_are_refused(db_url):
    code = in_substantive_review(db_url)
    declare(db_url, code, "Jan Kowalski")
    error = refused(db_url, RuleViolation, "art. 15 ust. 1 pkt 2", open_call_handlers.score_offer,
                    score_cmd(code, 1, "Jan Kowalski", (9, 10.5, 9, 4, 4, 5)), "2026-02-05T09:00+01:00",
                    Actor("Jan Kowalski", "committee_member"))
    assert error.rule == "points_above_maximum" and "costs" in error.message()


def test_own_funds_are_not_scored_in_entrustment_mode(db_url):
    code = in_substantive_review(db_url, mode="entrustment")
    for member in MEMBERS:
        declare(db_url, code, member)
    error = refused(db_url, RuleViolation, "art. 15 ust. 1 pkt 4", open_call_handlers.score_offer, score_cmd(code, 1, "Jan Kowalski"),
                    "2026-02-05T09:00+01:00", Actor("Jan Kowalski", "committee_member"))
    assert error.rule == "own_funds_in_entrustment"
    five = tuple(k for k in KEYS if k != "own_funds")
    for number in (1, 2, 3):
        for member in MEMBERS:
            score(db_url, code, number, member, (10, 10, 10, 5, 5) if number == 1 else (6, 6, 6, 3, 3), five)
    ranking = do(db_url, open_call_handlers.show_ranking, inputs.CaseRef(code=code), "2026-02-10T09:00+01:00")["ranking"]
    # full marks on the five criteria are 100 %: own funds are not in the maximum
    assert [(r["offer"], r["percent"]) for r in ranking] == [(1, Decimal("100.00")), (2, Decimal("60.00")),
                                                             (3, Decimal("60.00"))]


@pytest.mark.parametrize("keys", [KEYS[:-1], (*KEYS, "charm")], ids=["missing", "unknown"])
def test_scores_must_cover_exactly_the_calls_criteria(db_url, keys):
    code = in_substantive_review(db_url)
    declare(db_url, code, "Jan Kowalski")
    values = (*HIGH, 1)[: len(keys)]
    error = refused(db_url, InvalidInput, "art. 15 ust. 1", open_call_handlers.score_offer,
                    score_cmd(code, 1, "Jan Kowalski", values, keys), "2026-02-05T09:00+01:00",
                    Actor("Jan Kowalski", "committee_member"))
    assert error.rule == "criteria_mismatch"
    assert ("track_record" if len(keys) < len(KEYS) else "charm") in error.message()


def test_scoring_during_the_formal_review_is_a_wrong_state_step(db_url):
    code = announced_call(db_url)
    appoint(db_url, code)
    file(db_url, code, 0)
    close_offers(db_url)
    error = refused(db_url, RuleViolation, "art. 15 ust. 1", open_call_handlers.score_offer, score_cmd(code, 1, "Jan Kowalski"),
                    "2026-01-26T09:00+01:00", Actor("Jan Kowalski", "committee_member"))
    assert error.rule == "wrong_state" and "„ocena formalna”" in error.message()
    error = refused(db_url, RuleViolation, None, open_call_handlers.select_offers,
                    open_call_inputs.SelectOffers(code=code, grants={1: Decimal("100.00")}, decision_ref="Z/1"),
                    "2026-01-26T09:00+01:00")
    assert error.rule == "event_not_allowed"


def test_a_cases_clock_cannot_run_backwards(db_url):
    code = announced_call(db_url)
    error = refused(db_url, RuleViolation, None, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name="Jan Kowalski"),
                    "2026-01-02T11:59+01:00")
    assert error.rule == "clock_backwards"


# --- the Mayor's choice (art. 13 ust. 2 pkt 1, art. 15 ust. 2g) ------------------------------------------------


def test_selecting_before_scoring_is_complete_is_refused(db_url):
    code = in_substantive_review(db_url)
    for member in MEMBERS:
        declare(db_url, code, member)
    for member in MEMBERS:
        score(db_url, code, 1, member)
    error = refused(db_url, RuleViolation, "art. 15 ust. 1", open_call_handlers.select_offers,
                    open_call_inputs.SelectOffers(code=code, grants={1: Decimal("40000.00")}, decision_ref="Z/1"),
                    "2026-02-13T12:00+01:00")
    assert error.rule == "scoring_incomplete" and "2, 3" in error.message()


@pytest.mark.parametrize(("grants", "rule", "basis"), [
    ({1: "40000.00", 2: "20000.00"}, "grants_exceed_funds", "art. 13 ust. 2 pkt 2"),  # 60 000 > 50 000
    ({1: "40000.01"}, "grant_above_request", "art. 15 ust. 2g"),
    ({1: "20000.00", 3: "10000.00"}, "grant_below_threshold", "art. 13 ust. 2 pkt 6"),
    ({}, "no_grant_chosen", "art. 15 ust. 2g"),
])
def test_unlawful_grants_are_refused(db_url, grants, rule, basis):
    code = scored_call(db_url, budget="50000.00")
    error = refused(db_url, RuleViolation, basis, open_call_handlers.select_offers,
                    open_call_inputs.SelectOffers(code=code, grants={n: Decimal(a) for n, a in grants.items()}, decision_ref="Z/1"),
                    "2026-02-13T12:00+01:00")
    assert error.rule == rule


def test_propose_grants_of_a_scored_call_stays_within_funds(db_url):
    code = scored_call(db_url, budget="50000.00")
    result = do(db_url, open_call_handlers.show_ranking, inputs.CaseRef(code=code), "2026-02-10T09:00+01:00")
    assert result["proposal"] == {1: Decimal("40000.00"), 2: Decimal("10000.00")}  # offer 3 failed the threshold
    assert do(db_url, open_call_handlers.select_offers, open_call_inputs.SelectOffers(code=code, grants=result["proposal"], decision_ref="Z/1"),
              "2026-02-13T12:00+01:00")["state"] == "selected"


# --- contracts, reports, settlement (art. 16-18, ufp art. 251) -------------------------------------------------


def contract_cmd(code: str, number: int, amount: str, task_end: str, task_start: str = "2026-04-01"):
    return open_call_inputs.SignContract(code=code, number=number, contract_number=f"WZ.526.{number}.2026", amount=Decimal(amount),
                          task_start=date.fromisoformat(task_start), task_end=date.fromisoformat(task_end))


def test_contract_amount_cannot_exceed_the_grant(db_url):
    code = published_results(db_url)
    error = refused(db_url, RuleViolation, "art. 15 ust. 2g", open_call_handlers.sign_contract,
                    contract_cmd(code, 2, "25000.01", "2026-06-30"), "2026-03-02T10:00+01:00")
    assert error.rule == "contract_above_grant"


def test_report_and_return_deadlines_of_a_contract(db_url):
    code = published_results(db_url)
    # task ends Thursday 16 July: +30 days = Saturday 15 August (Assumption) -> Monday 17 August (art. 18, KC 115)
    result = do(db_url, open_call_handlers.sign_contract, contract_cmd(code, 1, "40000.00", "2026-07-16"), "2026-03-02T10:00+01:00")
    assert result["report_due"] == date(2026, 8, 17) and "KC art. 115" in result["report_due_explained"]
    # grant usable to the year's end: unused funds due by 31 January 2028 (a Monday; ufp art. 251 ust. 1)
    do(db_url, open_call_handlers.sign_contract, contract_cmd(code, 2, "25000.00", "2027-12-17"), "2026-03-03T10:00+01:00")
    with session(db_url) as s:
        contracts = {ct.number: ct for ct in s.exec(select(Contract))}
        first, second = contracts["WZ.526.1.2026"], contracts["WZ.526.2.2026"]
        assert first.report_due == date(2026, 8, 17)
        # usable 14 days after the task (contract clause) -> 30 July; + 15 days (ufp art. 251 ust. 3) -> 14 August
        assert (first.usage_deadline, first.return_due) == (date(2026, 7, 30), date(2026, 8, 14))
        assert (second.usage_deadline, second.return_due) == (date(2027, 12, 31), date(2028, 1, 31))
        assert the_case(s, code).state == "in_execution"


def test_unused_funds_must_be_returned_and_a_late_return_records_interest(db_url):
    code = published_results(db_url)
    do(db_url, open_call_handlers.sign_contract, contract_cmd(code, 1, "40000.00", "2026-07-16"), "2026-03-02T10:00+01:00")
    do(db_url, open_call_handlers.sign_contract, contract_cmd(code, 2, "25000.00", "2026-06-30"), "2026-03-02T11:00+01:00")
    do(db_url, open_call_handlers.submit_report, open_call_inputs.SubmitReport(code=code, number=1, funds_used=Decimal("38500.00")),
       "2026-08-03T10:00+02:00")
    do(db_url, open_call_handlers.review_report, open_call_inputs.ReviewReport(code=code, number=1, accept=True), "2026-08-05T10:00+02:00")
    settle = open_call_inputs.Settle(code=code, number=1, returned_amount=Decimal("1000.00"), returned_on=date(2026, 8, 18))
    error = refused(db_url, RuleViolation, "ufp art. 251", open_call_handlers.settle_offer, settle, "2026-08-20T10:00+02:00")
    assert error.rule == "unused_funds_not_returned" and "2026-08-14" in error.message()

    result = do(db_url, open_call_handlers.settle_offer, settle.model_copy(update={"returned_amount": Decimal("1500.00")}),
                "2026-08-20T10:00+02:00")
    assert result["late"] is True
    with session(db_url) as s:
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "settle",
                                                  AuditRecord.subject == "offer:1")).one()
        assert record.basis == "ufp art. 251 ust. 5"
        assert record.payload["interest_from"] == "2026-08-15" and record.payload["unused"] == "1500.00"


def test_a_return_on_time_records_no_interest(db_url):
    code = published_results(db_url)
    do(db_url, open_call_handlers.sign_contract, contract_cmd(code, 1, "40000.00", "2026-07-16"), "2026-03-02T10:00+01:00")
    do(db_url, open_call_handlers.submit_report, open_call_inputs.SubmitReport(code=code, number=1, funds_used=Decimal("39000.00")),
       "2026-08-03T10:00+02:00")
    do(db_url, open_call_handlers.review_report, open_call_inputs.ReviewReport(code=code, number=1, accept=True), "2026-08-05T10:00+02:00")
    result = do(db_url, open_call_handlers.settle_offer, open_call_inputs.Settle(code=code, number=1, returned_amount=Decimal("1000.00"),
                                                  returned_on=date(2026, 8, 14)), "2026-08-20T10:00+02:00")
    assert result["late"] is False
    with session(db_url) as s:
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "settle")).one()
        assert "interest_from" not in record.payload and record.basis == "ufp art. 251-252"


# --- the ranking (states/scoring.py), pure ---------------------------------------------------------------------

A = Criterion(key="capacity", basis="art. 15 ust. 1 pkt 1", label_pl="a", label_en="a", max_points=Decimal(10),
              weight=Decimal(2))
B = Criterion(key="costs", basis="art. 15 ust. 1 pkt 2", label_pl="b", label_en="b", max_points=Decimal(5))
T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def offer(number: int, *members: tuple[int, int], received: datetime = T0) -> ScoredOffer:
    return ScoredOffer(number, received, {f"m{i}": {"capacity": Decimal(a), "costs": Decimal(b)}
                                          for i, (a, b) in enumerate(members)})


@pytest.mark.fast
def test_rank_weights_points_and_averages_members():
    [result] = rank([offer(1, (10, 5), (5, 0))], (A, B), Decimal("0.70"))
    # member totals 2*10+5 = 25 and 2*5+0 = 10; mean 17.5 of a weighted maximum 2*10+5 = 25
    assert (result.mean_total, result.share, result.percent) == (Decimal("17.5000"), Decimal("0.7000"),
                                                                 Decimal("70.00"))
    assert result.criterion_means == {"capacity": Decimal("7.5000"), "costs": Decimal("2.5000")}
    assert result.passed and result.members == 2 and result.rank == 1
    assert not rank([offer(1, (10, 5), (5, 0))], (A, B), Decimal("0.7001"))[0].passed


@pytest.mark.fast
def test_rank_orders_by_share_then_criteria_in_statutory_order():
    # equal shares (2*8+4 = 20 = 2*10+0): the tie goes to the higher mean on art. 15 ust. 1 pkt 1
    results = rank([offer(1, (8, 4)), offer(2, (10, 0)), offer(3, (10, 5))], (A, B), Decimal(0))
    assert [r.number for r in results] == [3, 2, 1]
    assert [r.rank for r in results] == [1, 2, 3]


@pytest.mark.fast
def test_rank_ties_on_every_criterion_go_to_the_earlier_receipt_then_the_number():
    later = T0 + timedelta(hours=1)
    results = rank([offer(1, (8, 4), received=later), offer(2, (8, 4)), offer(3, (8, 4))], (A, B), Decimal(0))
    assert [r.number for r in results] == [2, 3, 1]


@pytest.mark.fast
def test_rank_tie_rule_does_not_depend_on_the_order_criteria_are_listed():
    offers = [offer(1, (8, 4)), offer(2, (10, 0))]
    assert [r.number for r in rank(offers, (B, A), Decimal(0))] == [2, 1]


@pytest.mark.fast
def test_rank_averages_only_the_members_who_scored():
    # offer 2 was scored by one member only (the others declared a conflict): its mean is that member's total
    results = rank([offer(1, (10, 5), (0, 0)), offer(2, (6, 3))], (A, B), Decimal("0.5"))
    assert [(r.number, r.percent, r.members, r.passed) for r in results] == [
        (2, Decimal("60.00"), 1, True), (1, Decimal("50.00"), 2, True)]


def ranked(number: int, share: str, passed: bool, position: int) -> RankedOffer:
    return RankedOffer(number=number, share=Decimal(share), mean_total=Decimal(0), criterion_means={}, members=3,
                       passed=passed, rank=position)


@pytest.mark.fast
def test_propose_grants_in_rank_order_within_the_funds():
    ranking = [ranked(4, "0.9", True, 1), ranked(2, "0.8", True, 2), ranked(7, "0.5", False, 3),
               ranked(1, "0.7", True, 4)]
    requested = {4: Decimal("60000.00"), 2: Decimal("30000.00"), 7: Decimal("5000.00"), 1: Decimal("20000.00")}
    proposal = propose_grants(ranking, requested, Decimal("100000.00"))
    assert proposal == {4: Decimal("60000.00"), 2: Decimal("30000.00"), 1: Decimal("10000.00")}
    assert sum(proposal.values()) == Decimal("100000.00")
    assert propose_grants(ranking, requested, Decimal("50000.00")) == {4: Decimal("50000.00")}
    assert propose_grants([ranked(7, "0.5", False, 1)], requested, Decimal("100000.00")) == {}
