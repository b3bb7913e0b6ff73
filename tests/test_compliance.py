"""The compliance check: every finding proven on a history built in the test, on SQLite and PostgreSQL.

The histories are written straight into the audit log, hash-chained exactly as the engine chains them (so
``coop audit verify`` accepts them): the check must judge what was recorded, whoever recorded it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from coop.demo import run_open_call
from models.db import get_engine, normalise_url
from models.tables import AuditRecord, Case
from states import audit
from states.auditing.compliance import YEAR_RULES, check_case, check_export, check_year, rules
from states.auditing.history import export_history
from states.clock import parse_moment
from states.engine import Actor, execute
from states.queries import verify_cases

AUDITOR = Actor("Rewident RIO", "auditor")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "audit.md"
CHANNELS = {"bip": "2026-01-02T09:00:00+01:00", "board": "2026-01-02T10:00:00+01:00",
            "website": "2026-01-02T11:00:00+01:00"}


@pytest.fixture
def cli_db(db_url, monkeypatch):
    """Point the CLI (``COOP_DATABASE_URL``) at this test's database."""
    monkeypatch.setenv("COOP_DATABASE_URL", db_url)
    return db_url


class Builder:
    """A case whose history is written record by record, chained like ``states.engine.append_audit``."""

    def __init__(self, url: str, code: str = "OK/2026/900", kind: str = "open_call",
                 created: str = "2026-01-02T08:00+01:00", parent: str | None = None) -> None:
        self.url, self.code = url, code
        with Session(get_engine(normalise_url(url))) as session:
            parent_id = session.exec(select(Case.id).where(Case.code == parent)).one() if parent else None
            session.add(Case(code=code, kind=kind, title="Sprawa testowa", state="draft", parent_id=parent_id,
                             created_at=parse_moment(created)))
            session.commit()

    def add(self, at: str, event: str, subject: str = "case", payload: dict | None = None, *,
            to_state: str | None = None, basis: str = "", actor: str = "Anna Urzędniczka",
            role: str = "officer") -> AuditRecord:
        with Session(get_engine(normalise_url(self.url)), expire_on_commit=False) as session:
            case = session.exec(select(Case).where(Case.code == self.code)).one()
            moment = parse_moment(at)
            fields = {"case_code": case.code, "seq": case.audit_seq + 1, "at": moment, "recorded_at": moment,
                      "actor": actor, "role": role, "event": event, "subject": subject, "from_state": None,
                      "to_state": to_state, "basis": basis, "payload": audit.jsonable(payload or {})}
            digest = audit.chain_hash(case.audit_head, fields)
            record = AuditRecord(case_id=case.id, prev_hash=case.audit_head, hash=digest,
                                 **{k: v for k, v in fields.items() if k != "case_code"})
            case.audit_seq, case.audit_head = fields["seq"], digest
            session.add_all([record, case])
            session.commit()
            return record


def lawful_call(b: Builder, *, published: dict | None = None, offer_deadline: str = "2026-01-23",
                receipt_rule: str = "received", offers: tuple[tuple[str, str, str | None], ...] | None = None,
                nominee_krs: str = "0000100007", conflicts: tuple[int, ...] = (), scorer_of_2: str = "Jan Kowalski",
                results: dict | None = None, report_at: str = "2026-07-20T10:00+02:00", returned_on: str | None = None,
                extra_before_report: list[tuple] = ()) -> dict[str, AuditRecord]:
    """A lawful open call in records; each argument bends one fact so that one finding appears."""
    r: dict[str, AuditRecord] = {}
    r["create"] = b.add("2026-01-02T08:30+01:00", "create", payload={"receipt_rule": receipt_rule}, to_state="draft")
    r["announce"] = b.add("2026-01-02T12:00+01:00", "announce", to_state="announced", basis="art. 13 ust. 1-3", payload={
        "published": CHANNELS if published is None else published, "offer_deadline": offer_deadline,
        "offer_deadline_due": f"{offer_deadline}T23:59:59+01:00"})
    r["appoint_city"] = b.add("2026-01-05T09:00+01:00", "appoint_member", "member:Jan Kowalski",
                              {"name": "Jan Kowalski", "affiliation": "city", "organisation_krs": None})
    r["appoint_ngo"] = b.add("2026-01-05T09:10+01:00", "appoint_member", "member:Maria Zielińska",
                             {"name": "Maria Zielińska", "affiliation": "ngo", "organisation_krs": nominee_krs})
    for number, (krs, received, postmark) in enumerate(offers or (("0000100001", "2026-01-12T10:00:00+01:00", None),
                                                                  ("0000100002", "2026-01-13T10:00:00+01:00", None)),
                                                       start=1):
        r[f"offer{number}"] = b.add(received, "file_offer", f"offer:{number}", {"organisation_krs": krs, "received_at": received,
                                                                      "postmarked_on": postmark})
    r["declare"] = b.add("2026-02-03T09:00+01:00", "declare_conflicts", "member:Jan Kowalski",
                         {"offers": [1, 2], "conflicts": list(conflicts), "note": ""})
    r["score1"] = b.add("2026-02-05T09:00+01:00", "score", "offer:1", {"member": "Jan Kowalski", "points": {}})
    r["score2"] = b.add("2026-02-05T09:05+01:00", "score", "offer:2", {"member": scorer_of_2, "points": {}})
    r["select"] = b.add("2026-02-13T12:00+01:00", "select_offers", to_state="selected",
                        payload={"grants": {"1": "30000.00"}})
    published_results = {"bip": "2026-02-16T09:00:00+01:00", "board": "2026-02-16T09:30:00+01:00",
                         "website": "2026-02-16T10:00:00+01:00"} if results is None else results
    complete = len(published_results) == 3
    r["results"] = b.add("2026-02-16T10:30+01:00", "publish_results",
                         to_state="results_published" if complete else "selected",
                         payload={"published": published_results, "all_channels": complete})
    r["contract"] = b.add("2026-03-02T10:00+01:00", "sign_contract", "offer:1", {
        "amount": "30000.00", "report_due": "2026-07-30", "usage_deadline": "2026-07-14", "return_due": "2026-07-29"})
    for at, event, payload in extra_before_report:
        r[event] = b.add(at, event, "offer:1", payload)
    r["submit"] = b.add(report_at, "submit_report", "offer:1", {"funds_used": "28500.00", "due": "2026-07-30"})
    r["accept"] = b.add(max(report_at, "2026-08-10T10:00+02:00"), "accept_report", "offer:1", {"reason": None})
    r["settle"] = b.add("2026-08-12T10:00+02:00", "settle", "offer:1", {
        "unused": "1500.00", "returned": "1500.00", "returned_on": returned_on or "2026-07-28", "return_due": "2026-07-29"})
    return r


def findings(url: str, code: str = "OK/2026/900") -> list[dict]:
    return execute(check_case, code, actor=AUDITOR, url=url, readonly=True)["findings"]


def only(found: list[dict], code: str) -> dict:
    assert [f["code"] for f in found] == [code], found
    return found[0]


def evidence_of(finding: dict) -> list[tuple[int, str]]:
    return [(e["seq"], e["hash"]) for e in finding["evidence"]]


def ev(*records: AuditRecord) -> list[tuple[int, str]]:
    return sorted((r.seq, r.hash) for r in records)


def test_lawful_history_has_no_findings_and_verifies(db_url):
    lawful_call(Builder(db_url))
    assert findings(db_url) == []
    assert execute(verify_cases, "OK/2026/900", actor=AUDITOR, url=db_url, readonly=True)["broken"] == []


def test_announcement_in_two_channels(db_url):
    r = lawful_call(Builder(db_url), published={"bip": CHANNELS["bip"], "website": CHANNELS["website"]})
    f = only(findings(db_url), "announcement_channels")
    assert f["article"] == "art. 13 ust. 3"
    assert "tablica ogłoszeń" in f["message"]
    assert evidence_of(f) == ev(r["announce"])


def test_offer_deadline_under_21_days_after_latest_publication(db_url):
    late_board = {**CHANNELS, "board": "2026-01-05T10:00:00+01:00"}  # 23 Jan is only 18 days after 5 Jan
    r = lawful_call(Builder(db_url), published=late_board)
    f = only(findings(db_url), "offer_deadline_too_short")
    assert f["article"] == "art. 13 ust. 1"
    assert "2026-01-26" in f["message"] and "18" in f["message"]
    assert evidence_of(f) == ev(r["announce"])


def test_offer_received_after_deadline(db_url):
    r = lawful_call(Builder(db_url), offers=(("0000100001", "2026-01-12T10:00:00+01:00", None),
                                             ("0000100002", "2026-01-24T08:00:00+01:00", None)))
    f = only(findings(db_url), "offer_after_deadline")
    assert f["article"] == "art. 13 ust. 2 pkt 5; KPA art. 57 §5"
    assert "nr 2" in f["message"] and "2026-01-24 08:00" in f["message"]
    assert evidence_of(f) == ev(r["announce"], r["offer2"])


def test_postmark_saves_a_late_offer_only_under_the_postmarked_rule(db_url):
    offers = (("0000100001", "2026-01-12T10:00:00+01:00", None), ("0000100002", "2026-01-26T08:00:00+01:00", "2026-01-23"))
    lawful_call(Builder(db_url), receipt_rule="postmarked", offers=offers)
    assert findings(db_url) == []
    lawful_call(Builder(db_url, code="OK/2026/901"), receipt_rule="received", offers=offers)
    assert only(findings(db_url, "OK/2026/901"), "offer_after_deadline")
    late_stamp = (offers[0], ("0000100002", "2026-01-27T08:00:00+01:00", "2026-01-24"))
    lawful_call(Builder(db_url, code="OK/2026/902"), receipt_rule="postmarked", offers=late_stamp)
    assert "2026-01-24" in only(findings(db_url, "OK/2026/902"), "offer_after_deadline")["message"]


def test_member_scoring_despite_declared_conflict(db_url):
    r = lawful_call(Builder(db_url), conflicts=(2,))
    f = only(findings(db_url), "scored_despite_conflict")
    assert f["article"] == "art. 15 ust. 2d; KPA art. 24 §1"
    assert "Jan Kowalski" in f["message"]
    assert evidence_of(f) == ev(r["declare"], r["score2"])


def test_committee_with_nominee_of_a_bidder(db_url):
    r = lawful_call(Builder(db_url), nominee_krs="0000100002", scorer_of_2="Maria Zielińska")
    f = only(findings(db_url), "committee_nominee_of_bidder")
    assert f["article"] == "art. 15 ust. 2d"
    assert "Maria Zielińska" in f["message"] and "0000100002" in f["message"] and "oceniał(a) ofertę nr 2" in f["message"]
    assert evidence_of(f) == ev(r["appoint_ngo"], r["offer2"], r["score2"])


def test_results_not_published_in_all_channels(db_url):
    r = lawful_call(Builder(db_url), results={"bip": "2026-02-16T09:00:00+01:00", "website": "2026-02-16T10:00:00+01:00"})
    f = only(findings(db_url), "results_channels")
    assert f["article"] == "art. 15 ust. 2h"
    assert "tablica ogłoszeń" in f["message"] and "sign_contract" in f["message"]
    assert evidence_of(f) == ev(r["select"], r["results"], r["contract"])


def test_report_accepted_late_without_extension(db_url):
    r = lawful_call(Builder(db_url), report_at="2026-08-05T10:00+02:00")
    f = only(findings(db_url), "report_accepted_late")
    assert f["article"] == "art. 18 ust. 1"
    assert "2026-07-30 23:59" in f["message"]
    assert evidence_of(f) == ev(r["contract"], r["submit"], r["accept"])


@pytest.mark.parametrize("extension", [
    ("2026-07-31T06:00+02:00", "report_overdue", {"call_days": 7}),  # the contract's written call: to 7 August
    ("2026-07-25T10:00+02:00", "extend_deadline", {"deadline": "report", "until": "2026-08-10", "reason": "choroba"}),
])
def test_recorded_extension_makes_a_late_report_lawful(db_url, extension):
    lawful_call(Builder(db_url), report_at="2026-08-05T10:00+02:00", extra_before_report=[extension])
    assert findings(db_url) == []


def test_report_late_even_after_the_written_call(db_url):
    r = lawful_call(Builder(db_url), report_at="2026-08-12T10:00+02:00",
                    extra_before_report=[("2026-07-31T06:00+02:00", "report_overdue", {"call_days": 7})])
    f = only(findings(db_url), "report_accepted_late")
    assert "2026-08-07 23:59" in f["message"]
    assert evidence_of(f) == ev(r["contract"], r["report_overdue"], r["submit"], r["accept"])


def initiative_report(url: str, *, submitted: str, extra: tuple = (), code: str = "IL/2026/001") -> dict[str, AuditRecord]:
    """A local initiative's agreement (report due Mon 6 July), its report and the report accepted (art. 19e)."""
    b = Builder(url, code=code, kind="local_initiative", created="2026-03-02T10:00+01:00")
    r = {"contract": b.add("2026-04-10T10:00+02:00", "sign_contract", to_state="contracted",
                           payload={"contract": "IL.1.2026", "grant_transferred": False, "report_due": "2026-07-06"})}
    for at, event, payload in extra:
        r[event] = b.add(at, event, payload=payload)
    r["submit"] = b.add(submitted, "submit_report", to_state="report_submitted", payload={"late": True})
    r["accept"] = b.add("2026-07-20T10:00+02:00", "accept_report", to_state="report_accepted")
    return r


def test_an_initiatives_report_accepted_late_is_a_finding_with_the_agreements_basis(db_url):
    r = initiative_report(db_url, submitted="2026-07-08T10:00+02:00")
    f = only(findings(db_url, "IL/2026/001"), "report_accepted_late")
    assert f["article"] == "art. 19e (umowa)"
    assert "2026-07-06 23:59" in f["message"] and "inicjatyw" in f["message"]
    assert evidence_of(f) == ev(r["contract"], r["submit"], r["accept"])


def test_an_initiatives_report_corrected_by_the_calls_date_is_no_finding(db_url):
    call = ("2026-07-07T10:00+02:00", "request_report_corrections",
            {"reason": "Brak zdjęć", "correct_by": "2026-07-14T23:59:59+02:00"})
    initiative_report(db_url, submitted="2026-07-13T10:00+02:00", extra=(call,))
    assert findings(db_url, "IL/2026/001") == []
    r = initiative_report(db_url, submitted="2026-07-15T10:00+02:00", extra=(call,), code="IL/2026/002")
    f = only(findings(db_url, "IL/2026/002"), "report_accepted_late")
    assert "2026-07-14 23:59" in f["message"]
    assert evidence_of(f) == ev(r["contract"], r["request_report_corrections"], r["submit"], r["accept"])


def test_unused_funds_returned_late(db_url):
    r = lawful_call(Builder(db_url), returned_on="2026-08-05")
    f = only(findings(db_url), "unused_funds_returned_late")
    assert f["article"] == "ufp art. 251 ust. 3 i 5"
    assert "2026-07-30" in f["message"]  # interest runs from the day after the deadline
    assert evidence_of(f) == ev(r["contract"], r["settle"])


def test_every_override_is_a_finding_and_one_without_reason_says_so(db_url):
    b = Builder(db_url)
    r = lawful_call(b)
    with_reason = b.add("2026-08-13T10:00+02:00", "override", "offer:1", basis="art. 18 ust. 1",
                        payload={"rule": "report_late", "reason": "awaria systemu ePUAP", "decision": "ZP.1.2026"})
    bare = b.add("2026-08-14T10:00+02:00", "override", "case", basis="art. 15 ust. 2h", payload={"rule": "results_channels"})
    found = findings(db_url)
    assert [f["code"] for f in found] == ["override", "override"]
    assert [f["article"] for f in found] == ["art. 18 ust. 1", "art. 15 ust. 2h"]
    assert "awaria systemu ePUAP" in found[0]["message"]
    assert "BEZ UZASADNIENIA" in found[1]["message"]
    assert evidence_of(found[0]) == ev(with_reason) and evidence_of(found[1]) == ev(bare)
    assert r["settle"].seq < with_reason.seq


def test_programme_adopted_after_30_november(db_url):
    late = Builder(db_url, code="KP/2026/001", kind="consultation")
    record = late.add("2026-12-15T12:00+01:00", "adopt_programme", payload={"programme_year": 2027},
                      basis="art. 5a ust. 1")
    f = only(findings(db_url, "KP/2026/001"), "programme_adopted_late")
    assert f["article"] == "art. 5a ust. 1" and "2026-11-30" in f["message"]
    assert evidence_of(f) == ev(record)
    on_time = Builder(db_url, code="KP/2026/002", kind="consultation")
    on_time.add("2026-11-27T12:00+01:00", "adopt_programme", payload={"programme_year": 2027})
    assert findings(db_url, "KP/2026/002") == []


def test_demo_only_returns_funds_late(db_url):
    code = run_open_call(db_url).code
    found = findings(db_url, code)
    f = only(found, "unused_funds_returned_late")
    assert "2026-07-29" in f["message"] and "2026-08-05" in f["message"]
    assert [e["event"] for e in f["evidence"]] == ["sign_contract", "settle"]


def test_year_check_and_imported_history_give_the_same_findings(db_url):
    lawful_call(Builder(db_url), returned_on="2026-08-05", conflicts=(2,))
    lawful_call(Builder(db_url, code="OK/2025/900", created="2025-06-01T08:00+02:00"))
    year = execute(check_year, 2026, actor=AUDITOR, url=db_url, readonly=True)
    assert year["cases"] == ["OK/2026/900"]
    assert sorted(f["code"] for f in year["findings"]) == ["scored_despite_conflict", "unused_funds_returned_late"]
    exported = json.loads(json.dumps(execute(export_history, "OK/2026/900", actor=AUDITOR, url=db_url, readonly=True)))
    assert [f.as_dict() for f in check_export(exported)] == year["findings"]


@pytest.mark.usefixtures("cli_db")
def test_cli_check_lists_findings_with_article_and_exits_1(db_url, monkeypatch):
    from coop import audit_cli  # noqa: F401  (registers the auditor's commands)
    from coop.cli import app

    lawful_call(Builder(db_url), returned_on="2026-08-05")
    lawful_call(Builder(db_url, code="OK/2026/901"))
    monkeypatch.setenv("COOP_ROLE", "auditor")
    monkeypatch.setenv("COOP_ACTOR", "rewident")
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "check", "OK/2026/900"])
    assert result.exit_code == 1, result.output
    assert "unused_funds_returned_late" in result.output and "ufp art. 251" in result.output
    monkeypatch.setenv("COOP_LANG", "en")
    result = runner.invoke(app, ["audit", "check", "OK/2026/900", "--json"])
    assert json.loads(result.stdout)["findings"][0]["message"].startswith("Offer 1: the unused PLN 1,500.00")
    clean = runner.invoke(app, ["audit", "check", "OK/2026/901"])
    assert clean.exit_code == 0 and "No findings" in clean.output
    neither = runner.invoke(app, ["audit", "check"])
    assert neither.exit_code == 2 and "Traceback" not in neither.output


@pytest.mark.fast
def test_docs_list_every_finding_with_its_article():
    text = DOCS.read_text(encoding="utf-8")
    articles = {**{code: rule.article for code, rule in rules().items()},
                **{code: article for code, (article, _) in YEAR_RULES.items()}}
    for code, article in articles.items():
        row = next((line for line in text.splitlines() if re.search(rf"`{code}`", line)), None)
        assert row is not None, f"{code} is not documented"
        assert article in row, f"{code}: article {article} missing from its row"


# --- the small grant and the consultation ------------------------------------------------------------------------


def small_grant(url: str, code: str, *, grant: str = "8000.00", start: str = "2026-04-20", end: str = "2026-06-30",
                published_on: str = "2026-04-03", signed_at: str = "2026-04-14T10:00+02:00",
                decide: bool = True) -> dict[str, AuditRecord]:
    b = Builder(url, code=code, kind="small_grant", created="2026-04-01T10:00+02:00")
    r = {"file": b.add("2026-04-01T10:00+02:00", "file_offer", payload={
        "requested_grant": grant, "task_start": start, "task_end": end, "received_at": "2026-04-01T10:00:00+02:00"})}
    r["publish"] = b.add(f"{published_on}T12:00+02:00", "publish", to_state="comment_period", payload={
        "published": {"bip": f"{published_on}T09:00:00+02:00", "board": f"{published_on}T10:00:00+02:00",
                      "website": f"{published_on}T11:00:00+02:00"}})
    if decide:
        r["decide"] = b.add("2026-04-13T10:00+02:00" if signed_at > "2026-04-13" else signed_at, "decide",
                            to_state="granted", payload={"grant": grant, "budget_year": 2026})
    r["contract"] = b.add(signed_at, "sign_contract", to_state="contracted", payload={"amount": grant})
    return r


def test_lawful_small_grant_has_no_findings(db_url):
    small_grant(db_url, "MG/2026/001")
    assert findings(db_url, "MG/2026/001") == []


def test_small_grant_over_10000_and_over_90_days(db_url):
    r = small_grant(db_url, "MG/2026/001", grant="12000.00", start="2026-04-20", end="2026-07-20")  # 92 days
    found = findings(db_url, "MG/2026/001")
    assert [f["code"] for f in found] == ["small_grant_over_limit"] * 3
    assert {f["article"] for f in found} == {"art. 19a ust. 1"}
    assert any("92 dni" in f["message"] for f in found)
    assert sorted({evidence_of(f)[0] for f in found}) == ev(r["file"], r["decide"])


def test_small_grant_published_later_than_7_working_days(db_url):
    # received Wednesday 1 April 2026; Easter Monday 6 April is a holiday: due by Monday 13 April
    r = small_grant(db_url, "MG/2026/001", published_on="2026-04-14", signed_at="2026-04-22T10:00+02:00")
    f = only(findings(db_url, "MG/2026/001"), "small_grant_published_late")
    assert f["article"] == "art. 19a ust. 3" and "2026-04-13" in f["message"]
    assert evidence_of(f) == ev(r["file"], r["publish"])
    small_grant(db_url, "MG/2026/002", published_on="2026-04-13", signed_at="2026-04-21T10:00+02:00")
    assert findings(db_url, "MG/2026/002") == []


def test_small_grant_contracted_within_the_comment_period(db_url):
    r = small_grant(db_url, "MG/2026/001", signed_at="2026-04-09T10:00+02:00")
    f = only(findings(db_url, "MG/2026/001"), "small_grant_contract_before_comments")
    assert f["article"] == "art. 19a ust. 4-5" and "2026-04-10 23:59" in f["message"]
    assert evidence_of(f) == ev(r["publish"], r["contract"])


def test_small_grant_yearly_ceiling(db_url):
    from models.procedures.small_grant import SmallGrantYear

    with Session(get_engine(normalise_url(db_url))) as session:
        session.add(SmallGrantYear(year=2026, planned_ngo_grants="100000.00", committed="0.00",
                                   recorded_at=parse_moment("2026-01-02T08:00+01:00")))
        session.commit()
    first = small_grant(db_url, "MG/2026/001", grant="10000.00")
    second = small_grant(db_url, "MG/2026/002", grant="9000.00")
    assert findings(db_url, "MG/2026/002") == []  # 19 000 <= 20 % of 100 000
    third = small_grant(db_url, "MG/2026/003", grant="2000.00")
    f = only(findings(db_url, "MG/2026/003"), "small_grant_ceiling_exceeded")
    assert f["article"] == "art. 19a ust. 7" and "21 000,00 PLN > limit 20 000,00 PLN" in f["message"]
    assert evidence_of(f) == sorted(ev(first["decide"], second["decide"], third["decide"]),
                                    key=lambda e: [first["decide"].hash, second["decide"].hash, third["decide"].hash].index(e[1]))
    year = execute(check_year, 2026, actor=AUDITOR, url=db_url, readonly=True)
    assert [f["code"] for f in year["findings"]] == ["small_grant_ceiling_exceeded"]


def consultation(url: str, code: str = "KP/2026/001", *, comments_until: str = "2026-10-08T15:30:00+02:00",
                 answers: dict | None = None, programme_year: int | None = None,
                 adopted_on: str | None = None) -> dict[str, AuditRecord]:
    b = Builder(url, code=code, kind="consultation", created="2026-09-30T10:00+02:00")
    r = {"create": b.add("2026-09-30T10:00+02:00", "create", payload={
        "act_kind": "programme" if programme_year else "resolution", "programme_year": programme_year})}
    r["open"] = b.add("2026-10-01T12:00+02:00", "open_consultation", to_state="open", payload={
        "published": {"bip": "2026-10-01T09:00:00+02:00", "board": "2026-10-01T10:00:00+02:00"},
        "comments_until": comments_until})
    r["comment1"] = b.add("2026-10-02T10:00+02:00", "comment", "comment:1", {"author": "Fundacja A", "text": "..."})
    r["comment2"] = b.add("2026-10-03T10:00+02:00", "comment", "comment:2", {"author": "Jan Mieszkaniec", "text": "..."})
    r["close"] = b.add(comments_until, "close", to_state="closed")
    r["report"] = b.add("2026-10-20T10:00+02:00", "publish_report", to_state="reported", payload={
        "answers": answers if answers is not None else {"1": {"answer": "accepted", "reason": "słuszna"},
                                                        "2": {"answer": "rejected", "reason": "poza zakresem"}}})
    if adopted_on:
        r["adopt"] = b.add(f"{adopted_on}T12:00+01:00", "adopt", to_state="adopted", basis="art. 5a ust. 1",
                           payload={"adopted_on": adopted_on})
    return r


def test_lawful_consultation_has_no_findings(db_url):
    consultation(db_url, programme_year=2027, adopted_on="2026-11-26")
    assert findings(db_url, "KP/2026/001") == []


def test_consultation_shorter_than_the_rule_sets_minimum(db_url):
    r = consultation(db_url, comments_until="2026-10-05T15:30:00+02:00")
    f = only(findings(db_url, "KP/2026/001"), "consultation_too_short")
    assert f["article"] == "art. 5 ust. 5 (uchwała rady o trybie konsultacji)"
    assert "2026-10-08 15:30" in f["message"]
    assert evidence_of(f) == ev(r["open"])


def test_comment_left_unanswered_in_the_report(db_url):
    r = consultation(db_url, answers={"1": {"answer": "accepted", "reason": "słuszna"}})
    f = only(findings(db_url, "KP/2026/001"), "comment_unanswered")
    assert "nr 2" in f["message"] and "Jan Mieszkaniec" in f["message"]
    assert evidence_of(f) == ev(r["comment2"], r["report"])


def test_programme_consultation_adopted_in_december(db_url):
    r = consultation(db_url, programme_year=2027, adopted_on="2026-12-03")
    f = only(findings(db_url, "KP/2026/001"), "programme_adopted_late")
    assert "2026-12-03" in f["message"] and "2026-11-30" in f["message"]
    assert evidence_of(f) == ev(r["adopt"])


def test_small_grant_publication_recorded_channel_by_channel(db_url):
    """The engine records a partial publication as ``publish_offer`` and the completing one as ``publish``:
    the latest channel counts, whichever record holds it."""
    b = Builder(db_url, code="MG/2026/001", kind="small_grant", created="2026-04-01T10:00+02:00")
    filed = b.add("2026-04-01T10:00+02:00", "file_offer", payload={
        "requested_grant": "5000.00", "task_start": "2026-05-01", "task_end": "2026-05-31",
        "received_at": "2026-04-01T10:00:00+02:00"})
    partial = b.add("2026-04-14T12:00+02:00", "publish_offer", payload={"published": {"bip": "2026-04-14T09:00:00+02:00"}})
    complete = b.add("2026-04-14T13:00+02:00", "publish", to_state="comment_period", payload={
        "published": {"board": "2026-04-08T09:00:00+02:00", "website": "2026-04-08T10:00:00+02:00"}})
    f = only(findings(db_url, "MG/2026/001"), "small_grant_published_late")
    assert "2026-04-14" in f["message"]
    assert evidence_of(f) == ev(filed, partial, complete)
