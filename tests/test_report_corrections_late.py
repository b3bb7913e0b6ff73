"""A report corrected after a call for corrections is late only against the call's date (art. 18 ust. 1, the
contract's written call; states/contract_tail_steps.py ``report_due_now``): one rule in the shared tail, for the
open call's offer and the small grant here (the local initiative's in tests/test_initiative_report_review.py);
on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.small_grant import handlers as small_grant_handlers
from states.procedures.small_grant import inputs as small_grant_inputs
from tests import test_open_call_guards as oc
from tests import test_small_grant as sg

# The report is due Mon 17 August (task end 16 July + 30 days, moved off the Assumption); filed 10 August, sent
# back Wed 19 August: the written call's 7 days end Wed 26 August.
CORRECTED = pytest.mark.parametrize("filed_at, late", [("2026-08-24T10:00+02:00", False),
                                                       ("2026-08-26T23:00+02:00", False),
                                                       ("2026-08-27T10:00+02:00", True)])



def contracted_small_grant(db_url):
    """A small grant granted and contracted (its report due Mon 17 August): the report its tests file."""
    sg.setup_registry(db_url)
    code = sg.file(db_url)["code"]
    sg.grant_through(db_url, code)
    sg.do(db_url, small_grant_handlers.sign_contract,
          small_grant_inputs.SignSmallGrant(code=code, contract_number="WSO.526.1.2026"), "2026-04-17T10:00+02:00")
    return small_grant_inputs.SmallGrantReport(code=code, funds_used=Decimal("8800.00"), summary="Rajd")
@CORRECTED
def test_the_small_grants_corrected_report_is_late_only_after_the_calls_date(db_url, filed_at, late):
    report = contracted_small_grant(db_url)
    assert sg.do(db_url, small_grant_handlers.submit_report, report, "2026-08-10T10:00+02:00")["late"] is False
    sg.do(db_url, small_grant_handlers.review_report,
          small_grant_inputs.ReviewSmallGrantReport(code=report.code, accept=False, reason="Brak listy uczestników"),
          "2026-08-19T10:00+02:00")
    assert sg.do(db_url, small_grant_handlers.submit_report, report, filed_at)["late"] is late


@CORRECTED
def test_the_open_calls_corrected_report_is_late_only_after_the_calls_date(db_url, filed_at, late):
    code = oc.published_results(db_url)
    oc.do(db_url, open_call_handlers.sign_contract, oc.contract_cmd(code, 1, "40000.00", "2026-07-16"),
          "2026-03-02T10:00+01:00")
    report = open_call_inputs.SubmitReport(code=code, number=1, funds_used=Decimal("38500.00"))
    assert oc.do(db_url, open_call_handlers.submit_report, report, "2026-08-10T10:00+02:00")["late"] is False
    oc.do(db_url, open_call_handlers.review_report,
          open_call_inputs.ReviewReport(code=code, number=1, accept=False, reason="Brak faktur"), "2026-08-19T10:00+02:00")
    assert oc.do(db_url, open_call_handlers.submit_report, report, filed_at)["late"] is late


def test_a_report_first_filed_after_its_due_date_is_still_late(db_url):
    report = contracted_small_grant(db_url)
    assert sg.do(db_url, small_grant_handlers.submit_report, report, "2026-08-18T10:00+02:00")["late"] is True


@pytest.mark.parametrize("filed_at, late", [("2026-08-11T10:00+02:00", False), ("2026-08-14T10:00+02:00", True)])
def test_a_report_sent_back_early_answers_the_calls_days_not_the_first_date(db_url, filed_at, late):
    """Sent back Wed 5 August, before the first date (17 August): the call's 7 days end Wed 12 August, the day the
    report's overdue deadline is scheduled (``review_report``), so a correction on 14 August is late though the first
    date has not come: the model contract's call runs from the call."""
    report = contracted_small_grant(db_url)
    sg.do(db_url, small_grant_handlers.submit_report, report, "2026-08-03T10:00+02:00")
    sg.do(db_url, small_grant_handlers.review_report,
          small_grant_inputs.ReviewSmallGrantReport(code=report.code, accept=False, reason="Brak listy uczestników"),
          "2026-08-05T10:00+02:00")
    assert sg.do(db_url, small_grant_handlers.submit_report, report, filed_at)["late"] is late

