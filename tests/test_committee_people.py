"""A committee appointment names a person of the registry (art. 15 ust. 2a; invariants 1 and 9).

Appointing a member by login grants that person ``committee_member`` for this call in the appointment's own
transaction, recorded in the people chain; the seat a member proves (token, form proof) follows from it. A name
that is no login is accepted only on a simulation database. SQLite and PostgreSQL; refusals compared on full
database dumps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import coop.core_cli  # noqa: F401  (registers the command groups)
from coop.cli import app
from flows.evaluation import scoring_view
from models.db import get_engine, normalise_url
from models.people_tables import PeopleRecord
from models.tables import AuditRecord, CommitteeMember
from states import calendar, inputs
from states.actors import Actor, Grant
from states.cases import register_organisation
from states.engine import execute
from states.errors import NotFound, NotPermitted, RuleViolation
from states.people import AddPerson, PersonRef, add_person, authenticate, deactivate_person, forget_verified
from states.procedures.open_call import handlers as oc
from states.procedures.open_call import inputs as oc_inputs
from tests.conftest import dump
from tests.people_fixtures import administrator, person
from tests.test_open_call_guards import KRS, MEMBERS, announced_call, close_offers, do, file, score_cmd


@pytest.fixture(autouse=True)
def fresh_verifications(tmp_path, monkeypatch):
    forget_verified()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("COOP_TOKEN", raising=False)
    yield
    forget_verified()


def rows(url: str, query) -> list:
    with get_engine(normalise_url(url)).connect() as connection:
        return connection.execute(query).all()


def people_log(url: str) -> list:
    return rows(url, sa.select(PeopleRecord.event, PeopleRecord.subject, PeopleRecord.payload, PeopleRecord.actor)
                .order_by(PeopleRecord.seq))


def add(url: str, login: str, name: str) -> None:
    admin, _ = administrator(url)
    execute(add_person, AddPerson(login=login, display_name=name), actor=admin, url=url)


def real_call(url: str, officer: Actor) -> str:
    """An open call announced now on a real database, one organisation registered (KRS[0])."""
    execute(register_organisation, inputs.RegisterOrganisation(
        name="Fundacja Zdrowy Senior", legal_form="fundacja", krs=KRS[0], address="Leszno",
        email="biuro@example.org", contact_person="Prezes"), actor=officer, url=url)
    code = execute(oc.create_call, oc_inputs.CreateOpenCall(title="Sport 2027", task_area="kultura fizyczna",
                                                            budget=Decimal("50000.00")), actor=officer, url=url)["code"]
    now = datetime.now(UTC)
    today = calendar.local_date(now)
    published = {c: (now - timedelta(hours=1)).isoformat(timespec="seconds") for c in ("bip", "board", "website")}
    execute(oc.announce_call, oc_inputs.AnnounceCall(
        code=code, offer_deadline=today + timedelta(days=40), selection_date=today + timedelta(days=60),
        execution_start=today + timedelta(days=70), execution_end=today + timedelta(days=200), published=published),
        actor=officer, url=url)
    return code


# --- a real database ----------------------------------------------------------------------------------------------


def test_a_real_database_refuses_a_typed_name_or_an_unknown_login_and_says_the_rule(real_db_url):
    officer, token = person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    code = real_call(real_db_url, officer)
    before = dump(real_db_url)
    for name in ("Jan Kowalski", "jan.kowalski"):
        with pytest.raises(RuleViolation) as info:
            execute(oc.appoint_member, oc_inputs.AppointMember(code=code, name=name), actor=officer, url=real_db_url)
        assert info.value.rule == "appointee_not_a_person" and "art. 15 ust. 2a" in info.value.basis
    assert dump(real_db_url) == before
    refused = CliRunner().invoke(app, ["committee", "appoint", code, "--name", "Jan Kowalski"], env={
        "COOP_DATABASE_URL": real_db_url, "COOP_LANG": "pl", "COOP_TOKEN": token, "COOP_ACTOR": None,
        "COOP_ROLE": None, "COOP_NOW": None})
    assert refused.exit_code == RuleViolation.exit_code, refused.output
    assert "po loginie osoby z rejestru" in refused.output and "„Jan Kowalski”" in refused.output
    assert "tylko w bazie symulacyjnej" in refused.output and "art. 15 ust. 2a" in refused.output
    assert "Traceback" not in refused.output
    assert dump(real_db_url) == before


def test_appointing_a_login_grants_the_seat_in_the_same_transaction(real_db_url):
    officer, token = person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    code = real_call(real_db_url, officer)
    add(real_db_url, "ewa", "Ewelina Nowicka")
    _, ewa_token = person(real_db_url, "ewa2", "Ewa Druga")  # a person with no seat, for contrast below
    appointed = CliRunner().invoke(app, ["committee", "appoint", code, "--name", "ewa", "--json"], env={
        "COOP_DATABASE_URL": real_db_url, "COOP_LANG": "pl", "COOP_TOKEN": token, "COOP_ACTOR": None,
        "COOP_ROLE": None, "COOP_NOW": None})
    assert appointed.exit_code == 0, appointed.output
    # the seat is held under her name; the record names the person and who appointed her
    assert rows(real_db_url, sa.select(CommitteeMember.name)) == [("Ewelina Nowicka",)]
    record = rows(real_db_url, sa.select(AuditRecord.subject, AuditRecord.payload, AuditRecord.actor)
                  .where(AuditRecord.event == "appoint_member"))
    assert record == [("member:Ewelina Nowicka", {"code": code, "name": "Ewelina Nowicka", "person": "ewa", "email": None,
                                            "affiliation": "city", "organisation_krs": None}, "Anna Urzędniczka")]
    grant = people_log(real_db_url)[-1]
    assert grant == ("grant", "person:ewa", {"role": "committee_member", "case": code, "organisation": None,
                                             "appointment": "appoint_member"}, "Anna Urzędniczka")
    # her token now proves the seat for this call, and no other person got it
    forget_verified()
    admin, _ = administrator(real_db_url)
    from states.people import IssueToken, issue_token

    token_of_ewa = execute(issue_token, IssueToken(login="ewa"), actor=admin, url=real_db_url, keyed=False)["token"]
    ewa = authenticate(token_of_ewa, url=real_db_url)
    assert ewa.role == "committee_member" and Grant("committee_member", code) in ewa.grants
    assert authenticate(ewa_token, url=real_db_url).grants == ()
    # a second appointment of her is refused (her seat is taken by her name), nothing written
    before = dump(real_db_url)
    with pytest.raises(RuleViolation) as info:
        execute(oc.appoint_member, oc_inputs.AppointMember(code=code, name="ewa"), actor=officer, url=real_db_url)
    assert info.value.rule == "duplicate_member" and "Ewelina Nowicka" in info.value.message()
    assert dump(real_db_url) == before
    # the database verifies: both chains
    from states.queries import verify_cases

    assert execute(verify_cases, None, actor=officer, url=real_db_url, readonly=True)["broken"] == []


def test_a_refused_appointment_grants_nothing_and_a_person_who_left_is_not_appointed(real_db_url):
    officer, _ = person(real_db_url, "anna", "Anna Urzędniczka", "officer")
    code = real_call(real_db_url, officer)
    add(real_db_url, "maria", "Maria Zielińska")
    today = calendar.local_date(datetime.now(UTC))
    execute(oc.file_offer, oc_inputs.FileOffer(code=code, organisation_krs=KRS[0], title="Liga orlika",
                                               requested_grant=Decimal("5000"), task_start=today + timedelta(days=80),
                                               task_end=today + timedelta(days=150)), actor=officer, url=real_db_url)
    before = dump(real_db_url)
    nominee = oc_inputs.AppointMember(code=code, name="maria", affiliation="ngo", organisation_krs=KRS[0])
    with pytest.raises(RuleViolation) as info:  # found after the person was: the grant goes with the refusal
        execute(oc.appoint_member, nominee, actor=officer, url=real_db_url)
    assert info.value.rule == "nominee_of_bidder"
    assert dump(real_db_url) == before
    admin, _ = administrator(real_db_url)
    execute(deactivate_person, PersonRef(login="maria"), actor=admin, url=real_db_url)
    before = dump(real_db_url)
    with pytest.raises(RuleViolation) as info:
        execute(oc.appoint_member, oc_inputs.AppointMember(code=code, name="maria"), actor=officer, url=real_db_url)
    assert info.value.rule == "person_inactive"
    assert dump(real_db_url) == before


# --- the seat follows from the appointment (a simulation database, where the call can reach its review) ---------


def test_the_seat_a_member_proves_follows_from_her_appointment(db_url):
    code = announced_call(db_url)
    for name in MEMBERS:  # typed names: a simulation database takes them, as before the registry
        do(db_url, oc.appoint_member, oc_inputs.AppointMember(code=code, name=name), "2026-01-05T09:00+01:00")
    add(db_url, "ewa", "Ewelina Nowicka")
    assert do(db_url, oc.appoint_member, oc_inputs.AppointMember(code=code, name="ewa"),
              "2026-01-05T09:30+01:00") == {"code": code, "member": "Ewelina Nowicka", "person": "ewa"}
    _, ola_token = person(db_url, "ola", "Ola Bez Powołania", ("committee_member", code))  # granted by hand only
    for org in range(2):
        file(db_url, code, org, at=f"2026-01-{12 + org:02d}T10:00+01:00")
    close_offers(db_url)
    for number in (1, 2):
        do(db_url, oc.review_offer, oc_inputs.ReviewOffer(code=code, number=number, decision="accept"),
           "2026-01-26T10:00+01:00")
    do(db_url, oc.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    admin, _ = administrator(db_url)
    from states.people import IssueToken, issue_token

    ewa = authenticate(execute(issue_token, IssueToken(login="ewa"), actor=admin, url=db_url, keyed=False)["token"],
                       url=db_url)
    # a proof names her by her login: the form finds her seat
    assert execute(scoring_view, (code, "ewa"), actor=ewa, url=db_url, readonly=True)["member_known"] is True
    # she declares naming herself by login, and scores by her name: both recorded under her name
    declared = execute(oc.declare_conflicts, oc_inputs.DeclareConflicts(code=code, member="ewa"), actor=ewa,
                       url=db_url, at="2026-02-03T09:00+01:00")
    assert declared["member"] == "Ewelina Nowicka"
    execute(oc.score_offer, score_cmd(code, 1, "ewa"), actor=ewa, url=db_url, at="2026-02-05T09:00+01:00")
    subjects = rows(db_url, sa.select(AuditRecord.event, AuditRecord.subject, AuditRecord.actor).where(
        AuditRecord.event.in_(("declare_conflicts", "score")), AuditRecord.actor == "Ewelina Nowicka"))
    assert sorted(subjects) == [("declare_conflicts", "member:Ewelina Nowicka", "Ewelina Nowicka"),
                                ("score", "offer:1", "Ewelina Nowicka")]
    # she may not act for another member, by name or by login
    with pytest.raises(NotPermitted) as info:
        execute(oc.score_offer, score_cmd(code, 2, MEMBERS[0]), actor=ewa, url=db_url, at="2026-02-05T09:00+01:00")
    assert info.value.rule == "not_your_seat"
    # a grant with no appointment gives no seat: the committee is who was appointed
    ola = authenticate(ola_token, url=db_url)
    before = dump(db_url)
    with pytest.raises(NotFound) as info:
        execute(oc.declare_conflicts, oc_inputs.DeclareConflicts(code=code, member="ola"), actor=ola, url=db_url,
                at="2026-02-03T09:00+01:00")
    assert info.value.rule == "unknown_member"
    assert dump(db_url) == before
    assert execute(scoring_view, (code, "ola"), actor=ola, url=db_url, readonly=True)["member_known"] is False


def test_a_typed_name_on_a_simulation_database_is_recorded_as_before(db_url):
    code = announced_call(db_url)
    answer = do(db_url, oc.appoint_member, oc_inputs.AppointMember(code=code, name="Jan Kowalski"),
                "2026-01-05T09:00+01:00")
    assert answer == {"code": code, "member": "Jan Kowalski"}
    record = rows(db_url, sa.select(AuditRecord.subject, AuditRecord.payload).where(AuditRecord.event == "appoint_member"))
    assert record == [("member:Jan Kowalski", {"code": code, "name": "Jan Kowalski", "email": None,
                                               "affiliation": "city", "organisation_krs": None})]
    assert [r for r in people_log(db_url) if r[0] == "grant"] == []


def test_a_form_proof_naming_an_appointed_login_answers_in_her_seat(db_url, monkeypatch):
    """The form door (flows/evaluation.py, without Prefect): a proof issued to the login of a member appointed by
    login is entitled at the `identify` form and its answer is recorded in her seat, as her proven principal; a
    person granted the role by hand but never appointed is refused there."""
    from flows.evaluation import _command, _identify
    from states.form_proofs import issue_form_proof, verify_form_proof

    monkeypatch.setenv("COOP_DATABASE_URL", db_url)  # the form door reads the registry from the engine's database
    code = announced_call(db_url)
    add(db_url, "ewa", "Ewelina Nowicka")
    do(db_url, oc.appoint_member, oc_inputs.AppointMember(code=code, name="ewa"), "2026-01-05T09:30+01:00")
    do(db_url, oc.appoint_member, oc_inputs.AppointMember(code=code, name=MEMBERS[0]), "2026-01-05T09:40+01:00")
    person(db_url, "ola", "Ola Bez Powołania", ("committee_member", code))
    file(db_url, code, 0, at="2026-01-12T10:00+01:00")
    close_offers(db_url)
    do(db_url, oc.review_offer, oc_inputs.ReviewOffer(code=code, number=1, decision="accept"), "2026-01-26T10:00+01:00")
    do(db_url, oc.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    run, now = "8f0c5a1e-0000-4000-8000-000000000001", datetime.now(UTC)

    def proof(login: str, form: str):
        code_given = issue_form_proof(login, run, form, now, timedelta(minutes=15), role="committee_member")
        return verify_form_proof(code_given, flow_run_id=run, form_key=form, now=now, person=login)

    assert _identify(code, proof("ewa", "identify-1"), db_url) == {"person": "ewa"}
    with pytest.raises(NotPermitted) as info:
        _identify(code, proof("ola", "identify-1"), db_url)
    assert info.value.rule == "form_proof_not_entitled"
    handler, command, actor = _command("declare", code, {"conflicts": []}, proof("ewa", "declare-2"))
    assert actor.proven and actor.person == "ewa" and Grant("committee_member", code) in actor.grants
    execute(handler, command, actor=actor, url=db_url, at="2026-02-03T09:00+01:00")
    handler, command, actor = _command("score", code, {"offer": 1, **score_cmd(code, 1, "x").points},
                                       proof("ewa", "score-3"))
    assert execute(handler, command, actor=actor, url=db_url, at="2026-02-05T09:00+01:00")["member"] == \
        "Ewelina Nowicka"
    recorded = rows(db_url, sa.select(AuditRecord.event, AuditRecord.actor, AuditRecord.role).where(
        AuditRecord.event.in_(("declare_conflicts", "score"))).order_by(AuditRecord.seq))
    assert recorded == [("declare_conflicts", "Ewelina Nowicka", "committee_member"),
                        ("score", "Ewelina Nowicka", "committee_member")]
