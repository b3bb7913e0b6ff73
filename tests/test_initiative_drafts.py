"""Drafts of local-initiative applications (states/initiative_drafts.py) and the residents' portal representative
named by the officer (``local_initiative.name_representative``), on SQLite and PostgreSQL.

A resident keeps, resumes and discards their own draft, which no other resident sees; an organisation's draft is
its representatives' (the matrix's relation ``owner``), beside its offers' drafts in the same table; filing from
the draft deletes it in the filing's transaction; a draft too large is refused. An application typed in from paper
has no filer: the officer names a registered person's portal account (by login or e-mail), a recorded step; then
that person reads the case's reports and lists the case; refused for someone with no account, for a non-officer,
twice, and once the initiative is over, with nothing written; the CLI runs the same handler."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.offer_draft_tables import OfferDraft
from models.procedures.local_initiative import PORTAL_REPRESENTATIVE, LocalInitiativeApplication
from models.tables import AuditRecord, Case
from states import initiative_drafts as drafts
from states.engine import execute
from states.errors import InvalidInput, NotFound, NotPermitted, RuleViolation
from states.inputs import CaseRef
from states.offer_drafts import SaveDraft, save_draft
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative.inputs import FileApplication, NameRepresentative
from tests.conftest import dump
from tests.initiative_forms import sample_initiative_form, sample_ngo_initiative_form
from tests.people_fixtures import person
from tests.test_local_initiative import to_execution
from tests.test_open_call_guards import KRS, register, session
from tests.test_report_receipt_email import portal_account

AT = "2026-03-02T10:00+01:00"


@pytest.fixture
def people(db_url):
    register(db_url, 2)
    resident, _ = person(db_url, "krysia", "Krystyna Nowak")
    neighbour, _ = person(db_url, "adam", "Adam Lis")
    rep, _ = person(db_url, "rep", "Reprezentantka Delfina", ("applicant", KRS[0]))
    stranger_rep, _ = person(db_url, "rep2", "Inny Reprezentant", ("applicant", KRS[1]))
    officer, _ = person(db_url, "olga", "Olga Urzędniczka", "officer")
    portal_account(db_url, "krysia", "krystyna@example.org")
    return db_url, {"resident": resident, "neighbour": neighbour, "rep": rep, "stranger_rep": stranger_rep,
                    "officer": officer}


def run(handler, command, actor, url, **options):
    return execute(handler, command, actor=actor, url=url, at=AT, **options)


def save(url, actor, content, krs=None):
    return run(drafts.save_initiative_draft, drafts.SaveInitiativeDraft(organisation_krs=krs, content=content),
               actor, url)


def read(url, actor, krs=None):
    return execute(drafts.read_initiative_draft, drafts.InitiativeDraftRef(organisation_krs=krs), actor=actor,
                   url=url, readonly=True)


# --- drafts -----------------------------------------------------------------------------------------------------


def test_a_resident_keeps_resumes_and_discards_their_own_draft_which_nobody_else_sees(people):
    url, who = people
    half = {"task": {"title": "Ogród sąsiedzki"}, "budget": {"total": "abc"}}  # unfinished and wrong: still a draft
    saved = save(url, who["resident"], half)
    assert saved["person"] == "krysia" and saved["organisation"] is None and saved["form"] == "local_initiative"
    assert read(url, who["resident"])["content"] == half
    assert read(url, who["neighbour"]) is None  # Adam's own draft: none; Krystyna's is not his
    save(url, who["resident"], {**half, "task": {"title": "Ogród przy Kurpińskiego"}})  # the same draft again
    with session(url) as s:
        assert len(s.exec(select(OfferDraft)).all()) == 1
    listed = execute(drafts.my_initiative_drafts, None, actor=who["resident"], url=url, readonly=True)
    assert [(d["title"], d["organisation_krs"]) for d in listed] == [("Ogród przy Kurpińskiego", None)]
    assert execute(drafts.my_initiative_drafts, None, actor=who["neighbour"], url=url, readonly=True) == []
    gone = run(drafts.discard_initiative_draft, drafts.InitiativeDraftRef(), who["resident"], url)
    assert gone["discarded"] is True and read(url, who["resident"]) is None


def test_a_proof_of_an_address_alone_owns_no_draft_and_reaches_nobody_elses(people):
    """A commenter proven by an e-mail link (or the portal's own registration actor) is proven but names no person:
    its "own" draft would be nobody's, which matched every resident's. Refused; the resident's draft untouched."""
    from states.errors import NotPermitted
    from states.people import email_principal, registration_principal
    from tests.conftest import dump

    url, who = people
    save(url, who["resident"], {"title": "Ławki na skwerze"})
    before = dump(url)
    for stranger in (email_principal("ktos@example.org"), registration_principal()):
        for attempt in (lambda who: read(url, who), lambda who: save(url, who, {"title": "cudze"}),
                        lambda who: run(drafts.discard_initiative_draft, drafts.InitiativeDraftRef(), who, url)):
            with pytest.raises(NotPermitted) as refused:
                attempt(stranger)
            assert refused.value.rule == "not_your_draft"
    assert dump(url) == before
    assert read(url, who["resident"])["content"] == {"title": "Ławki na skwerze"}


def test_an_organisations_draft_is_its_representatives_only_beside_its_offer_drafts(people):
    url, who = people
    save(url, who["rep"], {"task": {"title": "Festyn"}}, KRS[0])
    assert read(url, who["rep"], KRS[0])["organisation_krs"] == KRS[0]
    assert read(url, who["rep"]) is None  # the representative's own (residents') draft is another
    before = dump(url)
    for actor in (who["stranger_rep"], who["resident"]):
        with pytest.raises(NotPermitted) as refused:
            save(url, actor, {"task": {"title": "Cudzy"}}, KRS[0])
        assert refused.value.rule in ("not_your_organisation", "role_not_permitted")
        with pytest.raises(NotPermitted):
            read(url, actor, KRS[0])
    assert dump(url) == before
    # the organisation's small-grant offer draft (no case either) is kept beside it: one draft a form
    execute(save_draft, SaveDraft(organisation_krs=KRS[0], content={"basic": {"title": "Oferta"}}), actor=who["rep"],
            url=url, at=AT)
    with session(url) as s:
        assert sorted(d.form for d in s.exec(select(OfferDraft)).all()) == ["local_initiative", "offer"]
    listed = execute(drafts.my_initiative_drafts, None, actor=who["rep"], url=url, readonly=True)
    assert [d["organisation_name"] is not None for d in listed] == [True]


def test_a_draft_too_large_is_refused_and_a_typed_name_keeps_none(people):
    url, who = people
    with pytest.raises(InvalidInput) as refused:
        drafts.SaveInitiativeDraft.parse(content={"x": "a" * 200_001})
    assert refused.value.rule == "invalid_input"
    from states.actors import Actor

    with pytest.raises(NotPermitted) as typed:
        save(url, Actor("Ktoś", "public"), {"x": 1})
    assert typed.value.rule == "not_your_draft"


def test_filing_from_the_draft_deletes_it_in_the_same_transaction(people):
    url, who = people
    save(url, who["resident"], {"task": {"title": "Ogród"}})
    kept = run(li.file_residents_application, FileApplication.parse(form=sample_initiative_form()),
               who["resident"], url)
    assert read(url, who["resident"]) is not None  # filed without ``from_draft`` (a script's): the draft stays
    filed = run(li.file_residents_application, FileApplication.parse(
        form=sample_initiative_form(**{"task.title": "Drugi ogród"}), from_draft=True), who["resident"], url)
    assert filed["code"] != kept["code"] and read(url, who["resident"]) is None
    # a refused filing keeps it: nothing of the step is written
    save(url, who["resident"], {"task": {"title": "Trzeci"}})
    with pytest.raises(RuleViolation):
        run(li.file_residents_application, FileApplication.parse(
            form=sample_initiative_form(**{"work.hour_value": "40.00", "work.value": "9600.00",
                                           "budget.own_work": "9600.00", "budget.own_total": "11900.00",
                                           "budget.total": "29900.00"}), from_draft=True),
            who["resident"], url)
    assert read(url, who["resident"])["content"] == {"task": {"title": "Trzeci"}}
    # an organisation's application filed from its draft: the organisation's draft goes
    save(url, who["rep"], {"task": {"title": "Festyn"}}, KRS[0])
    run(li.file_organisation_application, FileApplication.parse(
        form=sample_ngo_initiative_form(KRS[0]), organisation_krs=KRS[0], from_draft=True), who["rep"], url)
    assert read(url, who["rep"], KRS[0]) is None


# --- the residents' representative on the portal ----------------------------------------------------------------


def name(url, actor, code, account, at="2026-04-01T10:00+02:00"):
    return execute(li.name_representative, NameRepresentative(code=code, account=account), actor=actor, url=url,
                   at=at)


def test_the_officer_names_the_representative_of_a_paper_application_who_then_reads_its_reports(people):
    url, who = people
    code = to_execution(url)
    with pytest.raises(NotPermitted) as before_named:
        execute(li.initiative_reports, CaseRef(code=code), actor=who["resident"], url=url, readonly=True)
    assert before_named.value.rule == "not_your_filing"
    assert execute(li.my_initiatives, None, actor=who["resident"], url=url, readonly=True) == []

    done = name(url, who["officer"], code, "KRYSTYNA@example.org")  # by e-mail, any case
    assert done == {"code": code, "state": "in_execution", "representative": "krysia", "name": "Krystyna Nowak",
                    "previous": None}
    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        assert s.exec(select(PORTAL_REPRESENTATIVE).where(LocalInitiativeApplication.case_id == case.id)).one() == (
            "krysia")
        record = s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id,
                                                  AuditRecord.event == "name_representative")).one()
        assert record.actor == "Olga Urzędniczka" and record.payload["account"] == "krysia"
        assert record.basis == "art. 19b ust. 1" and record.to_state == "in_execution"
    reports = execute(li.initiative_reports, CaseRef(code=code), actor=who["resident"], url=url, readonly=True)
    assert reports["code"] == code
    listed = execute(li.my_initiatives, None, actor=who["resident"], url=url, readonly=True)
    assert [(a["code"], a["receipt"], a["representative"]) for a in listed] == [(code, None, True)]
    with pytest.raises(NotPermitted):  # another resident still not
        execute(li.initiative_reports, CaseRef(code=code), actor=who["neighbour"], url=url, readonly=True)


def test_the_named_representative_is_told_once_at_the_portal_address_in_polish_and_english(people, monkeypatch):
    """The person named gets one e-mail (``initiative_representative_named``) at the address she proved on the
    portal: she now represents the residents of the case there and files its report on the portal's page; a
    refused second naming sends nothing more. Sent through a real SMTP server."""
    from notifications.dispatcher import dispatch
    from notifications.render import render
    from tests.notification_helpers import SmtpServer, configure, free_port, outbox

    url, who = people
    code = to_execution(url)
    server = SmtpServer(free_port()).start()
    try:
        configure(monkeypatch, server.port, url)
        name(url, who["officer"], code, "krysia")
        with pytest.raises(RuleViolation):
            name(url, who["officer"], code, "krysia", at="2026-04-02T10:00+02:00")
        (row,) = [r for r in outbox(url) if r.template == "initiative_representative_named"]
        assert row.recipient == "krystyna@example.org"
        polish, english = render(row.template, row.data, "pl"), render(row.template, row.data, "en")
        assert polish.subject == f"{code}: reprezentuje Pani/Pan mieszkańców w portalu"
        assert "art. 19b ust. 1" in polish.text and "Krystyna Nowak" in polish.text
        assert f"/portal/inicjatywa/sprawozdanie/{code}/nowe" in polish.text and "/portal/inicjatywa\n" in polish.text
        assert english.subject == f"{code}: you represent the residents on the portal"
        assert "can file the initiative's report there" in english.text
        assert f"/portal/inicjatywa/sprawozdanie/{code}/nowe" in english.text
        dispatch("2026-04-02T11:00+02:00", url=url)
        (message,) = [m for m in server.inbox.to("krystyna@example.org") if code in m["Subject"]]
        assert "reprezentuje Pani/Pan mieszkańców w portalu" in message["Subject"]
    finally:
        server.stop()


def test_naming_is_refused_without_an_account_to_a_non_officer_twice_and_after_the_end(people):
    url, who = people
    code = to_execution(url)
    before = dump(url)
    with pytest.raises(NotFound) as unknown:
        name(url, who["officer"], code, "nikt@example.org")
    assert unknown.value.rule == "no_portal_account" and unknown.value.basis == "art. 19b ust. 1"
    with pytest.raises(NotFound):  # Adam is a person, but never registered on the portal
        name(url, who["officer"], code, "adam")
    with pytest.raises(NotPermitted) as not_officer:
        name(url, who["rep"], code, "krysia")
    assert not_officer.value.rule == "role_not_permitted"
    with pytest.raises(InvalidInput):
        NameRepresentative.parse(code=code, account="")
    assert dump(url) == before
    name(url, who["officer"], code, "krysia")
    again = dump(url)
    with pytest.raises(RuleViolation) as twice:
        name(url, who["officer"], code, "krysia", at="2026-04-02T10:00+02:00")
    assert twice.value.rule == "representative_already_named"
    assert dump(url) == again


def test_naming_is_refused_once_the_initiative_is_rejected(people):
    from states.procedures.local_initiative.inputs import FormalCheck
    from tests.test_local_initiative import application

    url, who = people
    code = execute(li.file, application(), actor=who["officer"], url=url, at=AT)["code"]
    execute(li.formal_check, FormalCheck(code=code, passed=False, defects=("brak podpisów",)), actor=who["officer"],
            url=url, at="2026-03-05T10:00+01:00")
    before = dump(url)
    with pytest.raises(RuleViolation) as late:
        name(url, who["officer"], code, "krysia")
    assert late.value.rule == "wrong_state" and dump(url) == before


def test_the_cli_names_the_representative_through_the_same_handler(people, cli):
    import coop.core_cli  # noqa: F401  (registers the command groups on the app)
    import coop.procedures_cli  # noqa: F401

    url, _ = people
    code = to_execution(url)
    done = cli("initiative", "representative", code, "--account", "krystyna@example.org",
               at="2026-04-01T10:00+02:00")
    assert done.exit_code == 0, done.stderr
    assert "krysia" in done.stdout
    refused = cli("initiative", "representative", code, "--account", "nikt", at="2026-04-01T10:00+02:00")
    assert refused.exit_code != 0 and "no_portal_account" not in refused.stdout
    assert "konta" in refused.stderr or "portal" in refused.stderr
