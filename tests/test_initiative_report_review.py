"""The review of a local initiative's report (issue 22; art. 19e, the agreement): the officer accepts the report or
calls for corrections with the reason; the group files a corrected report (a new one, its own receipt and SHA-256,
the first kept); the case closes only once a report is accepted. The machine's transitions on plain facts (fast),
then each refusal (the state, who acts, the reason) and the whole review through the handlers on SQLite and
PostgreSQL, with the e-mails the outbox queues and the audit chain verified."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.tables import AuditRecord, Case, Deadline, Report
from notifications.render import render
from states.engine import execute
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.inputs import CaseRef
from states.procedures.local_initiative import handlers as li
from states.procedures.local_initiative.inputs import ReviewInitiativeReport
from states.procedures.local_initiative.machine import LocalInitiativeMachine
from states.procedures.local_initiative.names import InitiativeState
from states.queries import verify_cases
from states.tick import tick
from tests.conftest import dump
from tests.initiative_forms import sample_initiative_report
from tests.notification_helpers import outbox
from tests.test_initiative_filing import people  # noqa: F401  (the fixture)
from tests.test_initiative_report_filing import organisations_initiative, report, to_agreement
from tests.test_open_call_guards import session
from tests.test_report_receipt_email import portal_account

BASIS = "art. 19e (umowa)"


# --- the machine, on plain facts ---------------------------------------------------------------------------------


@pytest.mark.fast
def test_the_report_is_reviewed_before_the_initiative_closes():
    allowing = LocalInitiativeMachine.states_allowing
    assert allowing("accept_report") == (InitiativeState.report_submitted,)
    assert allowing("request_report_corrections") == (InitiativeState.report_submitted,)
    assert allowing("close") == (InitiativeState.report_accepted,)  # never straight from the submitted report
    assert InitiativeState.report_due in allowing("submit_report")  # a corrected report is filed as the first was
    edges = {(str(e), t.source.value, t.targets[0].value) for s in LocalInitiativeMachine.states
             for t in s.transitions for e in t.events}
    assert ("request_report_corrections", "report_submitted", "report_due") in edges
    assert ("accept_report", "report_submitted", "report_accepted") in edges
    assert not any(event == "settle" for event, _, _ in edges)  # no grant in money: nothing to settle
    for event in ("accept_report", "request_report_corrections", "close"):
        assert LocalInitiativeMachine.BASIS[event] == BASIS and LocalInitiativeMachine.STEPS[event].basis == BASIS


@pytest.mark.fast
def test_the_open_call_and_the_small_grant_share_the_same_review():
    """One rule in one place: the initiative's review is the settlement tail's own (states/contract_tail.py)."""
    from states.procedures.open_call.machine import OfferMachine
    from states.procedures.small_grant.machine import SmallGrantMachine

    def review(machine):
        return {(str(e), t.source.value, t.targets[0].value) for s in machine.states for t in s.transitions
                for e in t.events if str(e) in ("accept_report", "request_report_corrections")}

    assert review(OfferMachine) == review(SmallGrantMachine) == review(LocalInitiativeMachine)


# --- through the handlers, on both databases ---------------------------------------------------------------------


def review(code: str, accept: bool, reason: str = "") -> ReviewInitiativeReport:
    return ReviewInitiativeReport(code=code, accept=accept, reason=reason)


def reported(url, who) -> str:
    """The organisation's initiative, its agreement signed, its task ended, its report S1 filed by the
    representative on 20 June 2026 (due by 6 July)."""
    code = organisations_initiative(url, who["rep"])
    to_agreement(url, code)
    assert tick("2026-06-05T00:00+02:00", url=url).fired == 1
    execute(li.file_report_form, report(code), actor=who["rep"], url=url, at="2026-06-20T10:00+02:00")
    return code


def test_each_refusal_names_its_rule_and_basis_and_writes_nothing(people):  # noqa: F811
    url, who = people
    code = organisations_initiative(url, who["rep"])
    to_agreement(url, code)
    before = dump(url)
    with pytest.raises(RuleViolation) as early:  # no report yet: the state refuses the review
        execute(li.review_report, review(code, True), actor=who["officer"], url=url, at="2026-05-20T10:00+02:00")
    assert (early.value.rule, early.value.basis) == ("wrong_state", BASIS)
    assert "report submitted" in early.value.message("en") or "złożone" in early.value.message("pl")
    assert dump(url) == before

    assert tick("2026-06-05T00:00+02:00", url=url).fired == 1
    execute(li.file_report_form, report(code), actor=who["rep"], url=url, at="2026-06-20T10:00+02:00")
    before = dump(url)
    with pytest.raises(RuleViolation) as unreviewed:  # the report not accepted yet: no closing
        execute(li.close, CaseRef(code=code), actor=who["officer"], url=url, at="2026-06-21T10:00+02:00")
    assert (unreviewed.value.rule, unreviewed.value.basis) == ("wrong_state", BASIS)
    for someone in ("rep", "resident"):  # who acts: only an officer reviews the report
        with pytest.raises(NotPermitted):
            execute(li.review_report, review(code, True), actor=who[someone], url=url, at="2026-06-21T10:00+02:00")
    with pytest.raises(InvalidInput) as unexplained:  # a call for corrections says what the report lacks
        execute(li.review_report, review(code, False, ""), actor=who["officer"], url=url,
                at="2026-06-21T10:00+02:00")
    assert (unexplained.value.rule, unexplained.value.basis) == ("reason_required", BASIS)
    assert dump(url) == before


def test_corrections_then_a_corrected_report_then_acceptance_then_closing(people):  # noqa: F811
    url, who = people
    portal_account(url, "rep", "delfina@example.org")  # the person who filed the report is told too
    code = reported(url, who)
    reason = "Brak opisu pracy społecznej w części II; proszę podać liczbę osób."
    called = execute(li.review_report, review(code, False, reason), actor=who["officer"], url=url,
                     at="2026-07-03T10:00+02:00")
    assert called["state"] == "report_due" and called["correct_by"] == "2026-07-10"  # the contract's 7 days
    listed = execute(li.initiative_reports, CaseRef(code=code), actor=who["rep"], url=url, readonly=True)
    assert listed["may_file"] is True and listed["may_review"] is False
    assert listed["corrections"] == {"reason": reason, "correct_by": "2026-07-10", "receipt": f"{code}-S1"}
    assert [r["outcome"] for r in listed["reports"]] == ["corrections_requested"]
    mine = execute(li.my_initiatives, None, actor=who["rep"], url=url, readonly=True)
    assert mine[0]["corrections"]["reason"] == reason and mine[0]["may_file_report"] is True
    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        due = s.exec(select(Deadline).where(Deadline.case_id == case.id, Deadline.kind == li.REPORT_DUE,
                                            Deadline.fired_at.is_(None))).one()
        assert due.due_at.date().isoformat() in ("2026-07-10", "2026-07-11")  # the end of the call's day

    told = [r for r in outbox(url) if r.template == "initiative_report_corrections"]
    assert sorted(r.recipient for r in told) == ["delfina@example.org", "org1@example.org"]
    for lang, needles in (("pl", ("wymaga poprawienia", reason, "/portal/inicjatywa/sprawozdanie/")),
                          ("en", ("needs corrections", reason, f"{code}-S1"))):
        text = render(told[0].template, told[0].data, lang)
        assert all(n in text.subject + text.text for n in needles), (lang, text.text)

    # the group files the corrected report after the first due date (6 July) but within the call: not late
    corrected = execute(li.file_report_form, report(code, **{"contribution.people": "16"}), actor=who["rep"],
                        url=url, at="2026-07-08T10:00+02:00")
    assert (corrected["receipt"], corrected["state"], corrected["late"]) == (f"{code}-S2", "report_submitted", False)
    listed = execute(li.initiative_reports, CaseRef(code=code), actor=who["officer"], url=url, readonly=True)
    first, second = listed["reports"]
    assert first["sha256"] != second["sha256"] and first["number"] == f"{code}-S1"  # the first kept
    assert listed["corrections"] is None and listed["may_review"] is True

    accepted = execute(li.review_report, review(code, True), actor=who["officer"], url=url,
                       at="2026-07-09T10:00+02:00")
    assert accepted["state"] == "report_accepted"
    told = [r for r in outbox(url) if r.template == "initiative_report_accepted"]
    assert sorted(r.recipient for r in told) == ["delfina@example.org", "org1@example.org"]
    assert f"{code}-S2" in render(told[0].template, told[0].data, "pl").text
    closed = execute(li.close, CaseRef(code=code), actor=who["officer"], url=url, at="2026-07-10T10:00+02:00")
    assert closed["state"] == "closed"

    with session(url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        events = [r.event for r in s.exec(select(AuditRecord).where(AuditRecord.case_id == case.id)
                                          .order_by(AuditRecord.seq))]
        assert events[-5:] == ["submit_report", "request_report_corrections", "submit_report", "accept_report",
                               "close"]
        rows = s.exec(select(Report).order_by(Report.id)).all()
        assert [r.outcome for r in rows] == ["corrections_requested", "accepted"]
    auditor = who["officer"]
    assert execute(verify_cases, code, actor=auditor, url=url, readonly=True)["broken"] == []
    from states.auditing.compliance import check_case

    assert execute(check_case, code, actor=auditor, url=url, readonly=True)["findings"] == []


def test_a_corrected_report_not_filed_by_the_calls_date_goes_overdue(people):  # noqa: F811
    url, who = people
    code = reported(url, who)
    execute(li.review_report, review(code, False, "Brak zdjęć."), actor=who["officer"], url=url,
            at="2026-07-03T10:00+02:00")
    assert tick("2026-07-12T00:00+02:00", url=url).fired == 1
    with session(url) as s:
        assert s.exec(select(Case).where(Case.code == code)).one().state == "report_overdue"
    late = execute(li.file_report_form, report(code), actor=who["rep"], url=url, at="2026-07-13T10:00+02:00")
    assert late["state"] == "report_submitted" and late["late"] is True


def test_the_report_form_is_unchanged_by_the_review():
    """The corrected report is filed on the same form: the sample the tests file is still a valid report."""
    from states.model_forms.initiative_report import InitiativeReportForm

    InitiativeReportForm.model_validate(sample_initiative_report())


def test_the_cli_has_the_same_steps(cli):
    """`coop initiative accept-report` and `request-report-corrections` (the officer's other initiative steps are
    there): a call without a reason is refused with its basis and nothing written, as on the desk."""
    from decimal import Decimal

    import coop.procedures_cli  # noqa: F401  (registers the procedures' command groups on the app)
    from states.procedures.local_initiative.inputs import InitiativeReport
    from tests.test_local_initiative import do, to_execution

    url = cli.url
    code = to_execution(url)
    early = cli("initiative", "accept-report", code, at="2026-05-20T10:00+02:00")
    assert early.exit_code == 2 and "art. 19e (umowa)" in early.stderr
    tick("2026-06-05T00:00+02:00", url=url)
    do(url, li.submit_report, InitiativeReport(code=code, work_hours=Decimal("260"), summary="Ogród otwarty."),
       "2026-06-20T10:00+02:00")
    before = dump(url)
    unexplained = cli("initiative", "request-report-corrections", code, "--reason", "", at="2026-06-21T10:00+02:00")
    assert unexplained.exit_code == 2 and "art. 19e (umowa)" in unexplained.stderr and dump(url) == before
    not_yet = cli("initiative", "close", code, at="2026-06-21T10:00+02:00")
    assert not_yet.exit_code == 2 and "art. 19e (umowa)" in not_yet.stderr and dump(url) == before
    called = cli("initiative", "request-report-corrections", code, "--reason", "Brak zdjęć.", "--json",
                 at="2026-06-21T10:00+02:00")
    assert called.exit_code == 0, called.stderr
    assert '"report_due"' in called.stdout and '"2026-06-29"' in called.stdout
    do(url, li.submit_report, InitiativeReport(code=code, work_hours=Decimal("260"), summary="Ze zdjęciami."),
       "2026-06-25T10:00+02:00")
    assert cli("initiative", "accept-report", code, at="2026-06-26T10:00+02:00").exit_code == 0
    closed = cli("initiative", "close", code, "--json", at="2026-06-27T10:00+02:00")
    assert closed.exit_code == 0 and '"closed"' in closed.stdout
