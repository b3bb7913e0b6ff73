"""The open-call commands regranting replaces (``Borrowed.instead``, states/procedures/regranting/__init__.py) are
refused on a regranting case whatever the door, naming regranting's own command and its basis, with nothing
written: the operator's report lists every implementer (art. 16a; art. 18 ust. 1) and the operator settles once
every micro-grant is settled (art. 16a; ufp art. 251-252). On SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

import coop.core_cli  # noqa: F401  (registers the command groups on the app)
import coop.procedures_cli  # noqa: F401
from states.errors import DomainError
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.regranting import handlers as regranting_handlers
from states.procedures.regranting import inputs as regranting_inputs
from states.tick import tick
from tests.conftest import dump
from tests.regranting_fixtures import do, micro, selection_published


def _refused(url, handler, command, at, *needles):
    before = dump(url)
    with pytest.raises(DomainError) as error:
        do(url, handler, command, at)
    assert error.value.rule == "command_replaced", error.value
    for needle in needles:
        assert needle in f"{error.value} {error.value.basis}", str(error.value)
    assert dump(url) == before
    return error.value


def _reported_micro_grants(url, code):
    """Two micro-grants, transferred and reported; the first settled, the second not."""
    first = micro(url, code, 0, "2026-04-02T10:00+02:00")["code"]
    second = micro(url, code, 1, "2026-04-03T10:00+02:00")["code"]
    for grant, amount in ((first, "5000.00"), (second, "4000.00")):
        do(url, regranting_handlers.transfer, regranting_inputs.TransferMicroGrant(code=grant, amount=Decimal(amount),
                                                                                   on="2026-04-10"),
           "2026-04-10T12:00+02:00")
        do(url, regranting_handlers.micro_report, regranting_inputs.MicroGrantReport(
            code=grant, funds_used=Decimal(amount), delivered="zrealizowano"), "2026-10-10T10:00+02:00")
    do(url, regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant(code=first), "2026-10-20T10:00+02:00")
    return first, second


def test_the_open_calls_report_and_settlement_are_refused_on_a_regranting_case(db_url):
    code = selection_published(db_url)
    first, second = _reported_micro_grants(db_url, code)
    tick("2026-11-26T00:00+01:00", url=db_url)  # the operator's task ended: its report is due
    # the open call's report would skip the list of implementers
    error = _refused(db_url, open_call_handlers.submit_report, open_call_inputs.SubmitReport(
        code=code, number=1, funds_used=Decimal("9000.00")), "2026-12-10T10:00+01:00",
        "open_call.submit_report", "regranting.operator_report", "coop regrant report", "art. 16a; art. 18 ust. 1")
    assert error.basis == "art. 16a; art. 18 ust. 1"
    report = do(db_url, regranting_handlers.operator_report, regranting_inputs.OperatorReport(code=code),
                "2026-12-10T10:00+01:00")
    assert report["offer_state"] == "report_submitted"
    do(db_url, regranting_handlers.review_operator_report, open_call_inputs.ReviewReport(code=code, number=1, accept=True),
       "2026-12-15T10:00+01:00")
    # the open call's settlement would skip the check that every micro-grant is settled
    _refused(db_url, open_call_handlers.settle_offer, open_call_inputs.Settle(code=code, number=1, returned_amount=Decimal("41000.00"),
                                                                               returned_on="2026-12-20"),
             "2026-12-21T10:00+01:00", "regranting.settle_operator", "coop regrant settle", "art. 16a; ufp art. 251-252")
    with pytest.raises(DomainError, match=second):  # regranting's own settlement names the one still open
        do(db_url, regranting_handlers.settle_operator, open_call_inputs.Settle(code=code, number=1), "2026-12-21T10:00+01:00")
    do(db_url, regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant(code=second), "2026-12-21T10:00+01:00")
    settled = do(db_url, regranting_handlers.settle_operator, open_call_inputs.Settle(
        code=code, number=1, returned_amount=Decimal("41000.00"), returned_on="2026-12-20"), "2026-12-21T10:05+01:00")
    assert settled["case_state"] == "settled"


def test_the_cli_refuses_them_with_regrantings_command(cli):
    """As an officer types them: `coop report submit RG/... 1` and `coop contract settle RG/... 1` exit non-zero
    with regranting's own command and the basis, no traceback, nothing written; `coop call create` makes an open
    call (OK/), never a regranting case, so it has no regranting case to be refused on."""
    code = selection_published(cli.url)
    _reported_micro_grants(cli.url, code)
    tick("2026-11-26T00:00+01:00", url=cli.url)
    before = dump(cli.url)
    submitted = cli("report", "submit", code, "1", "--funds-used", "9000", at="2026-12-10T10:00+01:00")
    assert submitted.exit_code == 2 and submitted.stdout == ""
    assert "coop regrant report" in submitted.stderr and "art. 16a; art. 18 ust. 1" in submitted.stderr
    assert "sprawozdanie operatora wymienia każdego realizatora" in submitted.stderr  # Polish by default
    settled = cli("contract", "settle", code, "1", at="2026-12-10T10:00+01:00", lang="en")
    assert settled.exit_code == 2 and settled.stdout == ""
    assert settled.stderr.startswith(f"error: {code} is a case of Regranting (art. 16a)")
    assert "coop regrant settle" in settled.stderr and "art. 16a; ufp art. 251-252" in settled.stderr
    assert dump(cli.url) == before
    # the operator's report, sent back and filed again, at the CLI (regranting's own commands)
    assert cli("regrant", "report", code, at="2026-12-10T10:00+01:00").exit_code == 0
    refused = cli("report", "correct", code, "1", "--reason", "Brak listy", at="2026-12-11T10:00+01:00")
    assert refused.exit_code == 2 and "coop regrant review" in refused.stderr
    corrected = cli("regrant", "review", code, "--correct", "--reason", "Brak opisu rezultatów", "--json",
                    at="2026-12-11T10:00+01:00")
    assert corrected.exit_code == 0, corrected.stderr
    assert '"sub_call": "implementing"' in corrected.stdout
    assert cli("regrant", "report", code, "--summary", "Poprawione", at="2026-12-14T10:00+01:00").exit_code == 0
    accepted = cli("regrant", "review", code, "--accept", "--json", at="2026-12-15T10:00+01:00")
    assert accepted.exit_code == 0, accepted.stderr
    assert '"sub_call": "report_accepted"' in accepted.stdout
    made = cli("call", "create", "--title", "Konkurs", "--area", "kultura", "--budget", "1000", "--json",
               at="2026-12-10T10:00+01:00")
    assert made.exit_code == 0, made.stderr
    assert '"OK/' in made.stdout


def _sub_call_and_offer(url, code):
    from sqlmodel import Session, select

    from models.db import get_engine, normalise_url
    from models.tables import Case, Offer

    with Session(get_engine(normalise_url(url))) as session:
        case = session.exec(select(Case).where(Case.code == code)).one()
        offer = session.exec(select(Offer).where(Offer.case_id == case.id)).one()
        return case.data["sub_call"]["state"], offer.state


def _waiting(url, code, at):
    """What waits on the officer for the operator's case (coop todo; the desk's Na dziś reads the same)."""
    from states.engine import execute
    from states.todo import Query, waiting
    from tests.regranting_fixtures import OFFICER

    return [(str(i.what.in_language("pl")), i.offer) for i in execute(waiting, Query(), actor=OFFICER, url=url,
                                                                       readonly=True, at=at) if i.code == code]


def test_a_corrected_operators_report_is_filed_again_with_its_implementers(db_url):
    """The office sends the operator's report back (art. 18 ust. 1): the sub-call returns to its micro-grants, the
    operator's offer is due to report again, and regranting's own report (with the list of implementers) is taken
    again, reviewed and accepted; the open call's review is refused on the case."""
    from sqlmodel import Session, select

    from models.db import get_engine, normalise_url
    from models.tables import Report
    from states.engine import Actor, execute
    from states.queries import verify_cases

    code = selection_published(db_url)
    first, second = _reported_micro_grants(db_url, code)
    tick("2026-11-26T00:00+01:00", url=db_url)
    do(db_url, regranting_handlers.operator_report, regranting_inputs.OperatorReport(code=code, summary="Pierwsze"),
       "2026-12-10T10:00+01:00")
    assert _sub_call_and_offer(db_url, code) == ("reported", "report_submitted")
    assert _waiting(db_url, code, "2026-12-10T12:00+01:00") == [("Rozpatrz sprawozdanie operatora", 1)]
    _refused(db_url, open_call_handlers.review_report, open_call_inputs.ReviewReport(code=code, number=1, accept=False,
                                                                                      reason="Brak listy"),
             "2026-12-11T10:00+01:00", "regranting.review_operator_report", "coop regrant review", "art. 16a")
    before = dump(db_url)
    with pytest.raises(DomainError, match="czego brakuje w sprawozdaniu"):
        do(db_url, regranting_handlers.review_operator_report, open_call_inputs.ReviewReport(code=code, number=1, accept=False),
           "2026-12-11T10:00+01:00")
    with pytest.raises(DomainError, match="nie jest ofertą operatora"):  # not the operator's offer
        do(db_url, regranting_handlers.review_operator_report, open_call_inputs.ReviewReport(code=code, number=2, accept=True),
           "2026-12-11T10:00+01:00")
    assert dump(db_url) == before

    sent_back = do(db_url, regranting_handlers.review_operator_report, open_call_inputs.ReviewReport(
        code=code, number=1, accept=False, reason="Brak opisu rezultatów mikrograntów"), "2026-12-11T10:00+01:00")
    assert (sent_back["sub_call"], sent_back["state"]) == ("implementing", "report_due")
    assert _sub_call_and_offer(db_url, code) == ("implementing", "report_due")
    assert _waiting(db_url, code, "2026-12-11T12:00+01:00") == [("Odnotuj sprawozdanie operatora", None)]
    again = do(db_url, regranting_handlers.operator_report, regranting_inputs.OperatorReport(
        code=code, summary="Poprawione: rezultaty opisane"), "2026-12-14T10:00+01:00")
    assert again["offer_state"] == "report_submitted"
    assert {row["micro_grant"] for row in again["implementers"]} == {first, second}
    # accepted once: the sub-call's report is final, a second review is refused
    accepted = do(db_url, regranting_handlers.review_operator_report, open_call_inputs.ReviewReport(code=code, number=1, accept=True),
                  "2026-12-15T10:00+01:00")
    assert (accepted["sub_call"], accepted["state"]) == ("report_accepted", "report_accepted")
    before = dump(db_url)
    with pytest.raises(DomainError):
        do(db_url, regranting_handlers.review_operator_report, open_call_inputs.ReviewReport(code=code, number=1, accept=True),
           "2026-12-16T10:00+01:00")
    assert dump(db_url) == before
    with Session(get_engine(normalise_url(db_url))) as session:
        reports = session.exec(select(Report).order_by(Report.submitted_at)).all()
        assert [r.outcome for r in reports] == ["corrections_requested", "accepted"]
        assert [r.content["summary"] for r in reports] == ["Pierwsze", "Poprawione: rezultaty opisane"]
        assert all({i["micro_grant"] for i in r.content["implementers"]} == {first, second} for r in reports)
    do(db_url, regranting_handlers.settle_micro, regranting_inputs.SettleMicroGrant(code=second), "2026-12-20T10:00+01:00")
    settled = do(db_url, regranting_handlers.settle_operator, open_call_inputs.Settle(
        code=code, number=1, returned_amount=Decimal("41000.00"), returned_on="2026-12-20"), "2026-12-21T10:00+01:00")
    assert settled["case_state"] == "settled"
    assert execute(verify_cases, code, actor=Actor("audytor", "auditor"), url=db_url, readonly=True)["broken"] == []
