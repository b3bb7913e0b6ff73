"""A small-grant offer (art. 19a) filed by the organisation on the simplified model form (Dz.U. 2018 poz. 2055
zał. 1; issue 22): the same rules as
the officer's ``file_offer`` (amount, duration, the yearly caps) and the form's own, version 1 with its SHA-256 and
receipt, the receipt e-mail, the reads the portal and the desk share (states/offer_filings.py). SQLite and
PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import func, select

from models.filing_tables import OfferVersion
from models.notification_tables import Notification
from models.procedures.small_grant import SmallGrantOffer
from models.tables import AuditRecord, Case
from states import offer_filings
from states.engine import execute
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.model_forms.canonical import content_sha256
from states.model_forms.simplified_offer import SimplifiedOfferForm
from states.procedures.small_grant import handlers
from states.procedures.small_grant import inputs as sg_inputs
from tests.conftest import dump
from tests.offer_forms import sample_offer_form, sample_simplified_offer_form
from tests.people_fixtures import person
from tests.test_open_call_guards import session
from tests.test_small_grant import KRS, OTHER_KRS, do, setup_registry

FILED_AT = "2026-04-01T10:00+02:00"  # a Wednesday; Easter Monday 6 April is a holiday
TASK = {"task_start": "2026-05-01", "task_end": "2026-07-16"}  # 77 days, both ends counted


def form(krs: str = KRS, **options) -> dict:
    return sample_simplified_offer_form(krs, **{**TASK, "requested_grant": "9500.00", **options})


def command(krs: str = KRS, **options) -> sg_inputs.FileSmallGrantForm:
    return sg_inputs.FileSmallGrantForm.parse(organisation_krs=krs, form=form(krs, **options))


@pytest.fixture
def registry(db_url):
    setup_registry(db_url)
    rep, rep_token = person(db_url, "rep", "Reprezentantka Roweru", ("applicant", KRS))
    other, other_token = person(db_url, "rep2", "Reprezentant Podwórka", ("applicant", OTHER_KRS))
    officer, _ = person(db_url, "olga", "Olga Urzędniczka", "officer")
    return db_url, {"rep": rep, "other": other, "officer": officer, "rep_token": rep_token,
                    "other_token": other_token}


def file(url, actor, cmd=None, at=FILED_AT, **options):
    return execute(handlers.file_offer_form, cmd or command(), actor=actor, url=url, at=at, **options)


def refused(url, actor, cmd, error, rule, basis):
    before = dump(url)
    with pytest.raises(error) as info:
        file(url, actor, cmd)
    assert info.value.rule == rule, info.value.message()
    assert basis in (info.value.basis or "") and basis in info.value.message()
    assert dump(url) == before
    return info.value


def test_the_representative_files_and_the_case_is_made_with_version_1_its_hash_and_receipt(registry):
    url, people = registry
    answer = file(url, people["rep"])
    expected = content_sha256(SimplifiedOfferForm.model_validate(form()).content())
    assert answer["code"] == "MG/2026/001" and answer["state"] == "checked"
    assert answer["receipt"] == "MG/2026/001/1-1" and answer["version"] == 1 and answer["sha256"] == expected
    assert answer["received_at"] == "2026-04-01T08:00:00+00:00" and str(answer["publish_by"]) == "2026-04-13"
    with session(url) as s:
        offer = s.exec(select(SmallGrantOffer)).one()
        assert (offer.title, offer.requested_grant, offer.task_start.isoformat()) == (
            "Wakacje z nauką pływania", Decimal("9500.00"), "2026-05-01")
        # section IV's other sources (1 900 zł) are not the offeror's own contribution: the form does not say so
        assert offer.own_contribution == Decimal("0.00")
        version = s.exec(select(OfferVersion)).one()
        assert (version.offer_id, version.small_grant_offer_id, version.receipt, version.filed_by) == (
            None, offer.id, answer["receipt"], "rep")
        assert content_sha256(version.content) == expected
        filed = s.exec(select(AuditRecord).where(AuditRecord.event == "file_offer")).one()
        assert filed.payload["sha256"] == expected and filed.payload["receipt"] == answer["receipt"]
        # the other sources kept apart, as the form keeps them: the history says both
        assert (filed.payload["other_sources"], filed.payload["own_contribution"]) == ("1900.00", "0.00")
        assert filed.actor == "Reprezentantka Roweru"
        assert filed.basis == "art. 19a ust. 1; Dz.U. 2018 poz. 2055 zał. 1"  # the simplified form of art. 19a
        told = s.exec(select(Notification).where(Notification.template == "small_grant_offer_receipt")).all()
        # the organisation's registry address and the form's contact person, once each
        assert sorted(n.recipient for n in told) == ["anna.nowak@delfin.example.pl", "biuro1@example.org"]


def test_the_reads_serve_the_small_grants_offer_as_offer_1(registry):
    url, people = registry
    answer = file(url, people["rep"])
    ref = offer_filings.ReceiptRef(code=answer["code"], number=1)
    receipt = execute(offer_filings.offer_receipt, ref, actor=people["rep"], url=url, readonly=True)
    assert receipt["number"] == answer["receipt"] and receipt["state"] == "checked"
    assert receipt["kind"] == "small_grant" and receipt["content"]["basic"]["title"] == "Wakacje z nauką pływania"
    versions = execute(offer_filings.offer_versions, offer_filings.OfferVersionsRef(code=answer["code"], number=1),
                       actor=people["officer"], url=url, readonly=True)
    assert [v["version"] for v in versions["versions"]] == [1]
    mine = execute(offer_filings.organisation_offers, offer_filings.OrganisationOffers(organisation_krs=KRS),
                   actor=people["rep"], url=url, readonly=True)["offers"]
    assert [(o["code"], o["kind"], o["receipt"]) for o in mine] == [(answer["code"], "small_grant",
                                                                     answer["receipt"])]
    with session(url) as s:
        assert offer_filings.receipt_by_number(s, answer["receipt"])["sha256"] == answer["sha256"]
    # another organisation's representative reads neither the receipt nor the versions
    with pytest.raises(NotPermitted):
        execute(offer_filings.offer_receipt, ref, actor=people["other"], url=url, readonly=True)
    with pytest.raises(NotPermitted):
        execute(offer_filings.offer_versions, offer_filings.OfferVersionsRef(code=answer["code"], number=1),
                actor=people["other"], url=url, readonly=True)


def test_the_receipt_message_renders_in_both_languages(registry):
    from notifications.render import render

    url, people = registry
    answer = file(url, people["rep"])
    with session(url) as s:
        row = s.exec(select(Notification).where(Notification.template == "small_grant_offer_receipt")).first()
    for lang, words in (("pl", ("tryb pozakonkursowy", "1 kwietnia 2026")), ("en", ("small grant",))):
        out = render(row.template, row.data, lang)
        assert answer["receipt"] in out.subject and answer["sha256"] in out.text, out.text
        assert all(w in (out.subject + out.text) for w in words), out.text
    # the e-mail carries the receipt's PDF, made from the version its number names
    from notifications.attachments import attachments_for

    files = attachments_for({"template": row.template, "channel": "email", "data": row.data}, url)
    assert [f.filename for f in files] == ["potwierdzenie-MG-2026-001-1-1.pdf"]
    assert files[0].data.startswith(b"%PDF")


def test_a_grant_above_the_limit_is_refused_through_the_form(registry):
    url, people = registry
    refused(url, people["rep"], command(requested_grant="10000.01"), RuleViolation, "small_grant_amount",
            "art. 19a ust. 1 pkt 1")


def test_a_task_longer_than_90_days_is_refused_through_the_form(registry):
    url, people = registry
    # 1 May - 30 July is 91 days, both ends counted
    error = refused(url, people["rep"], command(task_end="2026-07-30"), RuleViolation, "small_grant_duration",
                    "art. 19a ust. 1 pkt 2")
    assert "91" in error.message()
    assert file(url, people["rep"], command(task_end="2026-07-29"))["state"] == "checked"  # 90 days: in


def test_the_yearly_ceiling_of_20_per_cent_is_refused_through_the_form(registry):
    url, people = registry
    do(url, handlers.record_budget, sg_inputs.RecordGrantBudget(year=2026, planned=Decimal("40000.00")),
       "2026-01-03T09:00+01:00")  # the ceiling: 8 000.00
    refused(url, people["rep"], command(), RuleViolation, "small_grant_ceiling", "art. 19a ust. 7")


def test_no_planned_funds_for_the_tasks_year_is_refused(registry):
    url, people = registry
    refused(url, people["rep"], command(task_start="2027-01-04", task_end="2027-02-28"), RuleViolation,
            "no_planned_funds", "art. 19a ust. 7")


def test_the_forms_own_rules_refuse_it(registry):
    url, people = registry
    broken = form()
    # the sum's grant is not the lines' grant column (its own sum still adds up: 9 000 + 2 400 = 11 400)
    broken["cost_summary"].update(grant="9000.00", other_sources="2400.00")
    before = dump(url)
    with pytest.raises(InvalidInput) as info:
        sg_inputs.FileSmallGrantForm.parse(organisation_krs=KRS, form=broken)
    assert info.value.rule == "costs_grant"
    assert info.value.details["rules"] == ["costs_grant", "costs_other_sources"]
    assert info.value.basis and "2055" in info.value.basis
    assert dump(url) == before


def test_the_full_model_offer_of_an_open_call_is_not_a_small_grants_form(registry):
    """Art. 19a ust. 1: a small grant is filed on the simplified form; the open call's form (poz. 2057) is
    refused with the simplified form's basis, and nothing is written."""
    url, people = registry
    before = dump(url)
    with pytest.raises(InvalidInput) as info:
        sg_inputs.FileSmallGrantForm.parse(organisation_krs=KRS, form=sample_offer_form(KRS, **TASK))
    assert info.value.rule == "invalid_input" and "2055" in (info.value.basis or "")
    assert dump(url) == before


def test_the_lead_offeror_must_be_the_organisation_filing(registry):
    url, people = registry
    cmd = sg_inputs.FileSmallGrantForm.parse(organisation_krs=KRS, form=form(OTHER_KRS))
    error = refused(url, people["rep"], cmd, RuleViolation, "lead_offeror_not_organisation",
                    "Dz.U. 2018 poz. 2055 zał. 1 (II.1)")
    # the small grant's law and its simplified form, not the open call's (art. 14, poz. 2057)
    assert "art. 19a ust. 1" in error.basis and "2057" not in error.basis and "art. 14" not in error.basis


def test_another_organisations_representative_is_refused_and_nothing_is_written(registry):
    url, people = registry
    error = refused(url, people["other"], command(), NotPermitted, "not_your_organisation", "DESIGN inv. 9")
    assert KRS in error.message()


def test_the_same_idempotency_key_twice_makes_one_case(registry):
    url, people = registry
    first = file(url, people["rep"], idempotency_key="portal:mg-1")
    again = file(url, people["rep"], at="2026-04-01T10:05+02:00", idempotency_key="portal:mg-1")
    assert again == first
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Case).where(Case.kind == "small_grant")).one() == 1
        assert s.exec(select(func.count()).select_from(OfferVersion)).one() == 1


def test_the_officer_may_file_the_form_for_an_organisation(registry):
    url, people = registry
    assert file(url, people["officer"])["receipt"] == "MG/2026/001/1-1"


def test_a_small_grant_draft_is_kept_without_a_case_for_its_organisation_only(registry):
    from states import offer_drafts as drafts

    url, people = registry
    ref = drafts.DraftRef(organisation_krs=KRS)  # no code: a small grant's offer, its case not made yet
    execute(drafts.save_draft, drafts.SaveDraft(organisation_krs=KRS, content={"task": {"title": "Rajd"}}),
            actor=people["rep"], url=url, at=FILED_AT)
    execute(drafts.save_draft, drafts.SaveDraft(organisation_krs=KRS, content={"task": {"title": "Rajd 2"}}),
            actor=people["rep"], url=url, at=FILED_AT)  # the same draft, replaced
    read = execute(drafts.read_draft, ref, actor=people["rep"], url=url, readonly=True)
    assert read["code"] is None and read["content"] == {"task": {"title": "Rajd 2"}}
    listed = execute(drafts.drafts_of, drafts.OrganisationRef(organisation_krs=KRS), actor=people["rep"], url=url,
                     readonly=True)
    assert [(d["code"], d["title"].in_language("en")) for d in listed] == [
        (None, "Small grant outside an open call (art. 19a)")]
    with pytest.raises(NotPermitted):
        execute(drafts.read_draft, ref, actor=people["other"], url=url, readonly=True)
    with pytest.raises(InvalidInput) as info:
        execute(drafts.read_draft, drafts.DraftRef(organisation_krs=KRS, offer_number=2), actor=people["rep"],
                url=url, readonly=True)
    assert info.value.rule == "small_grant_no_correction"
    assert execute(drafts.discard_draft, ref, actor=people["rep"], url=url, at=FILED_AT)["discarded"] is True
    assert execute(drafts.read_draft, ref, actor=people["rep"], url=url, readonly=True) is None


def test_the_desk_case_page_links_the_filed_form_and_a_paper_offer_has_none(registry):
    from states.engine import execute as run
    from web.case_view import read_case

    url, people = registry
    filed = file(url, people["rep"])
    paper = do(url, handlers.file_offer, sg_inputs.FileSmallGrant(
        organisation_krs=OTHER_KRS, title="Sprzątanie parku", requested_grant=Decimal("3000.00"),
        task_start="2026-05-04", task_end="2026-05-30"), "2026-04-01T11:00+02:00")
    assert run(read_case, filed["code"], actor=people["officer"], url=url, readonly=True)["filed_form"] == (
        f"/sprawy/{filed['code']}/oferty/1")
    assert run(read_case, paper["code"], actor=people["officer"], url=url, readonly=True)["filed_form"] is None


# --- the JSON door (web/portal_small_grant_api.py) ------------------------------------------------------------------


def test_the_json_door_files_once_per_key_and_refuses_a_limit_with_its_basis(registry, monkeypatch):
    import json

    from fastapi.testclient import TestClient

    from web.app import create_app

    url, people = registry
    monkeypatch.setenv("COOP_NOW", FILED_AT)  # a simulation database: the door's moment is COOP_NOW
    client = TestClient(create_app(url), base_url="https://testserver")

    def post(body, token, key):
        return client.post("/api/v1/oferty-pozakonkursowe", content=json.dumps(body),
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                                    "Idempotency-Key": key})

    body = {"organisation_krs": KRS, "form": form()}
    first = post(body, people["rep_token"], "mg-door-1")
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["receipt"] == "MG/2026/001/1-1" and receipt["state"] == "checked"
    assert post(body, people["rep_token"], "mg-door-1").json() == receipt
    fetched = client.get(first.headers["Location"], headers={"Authorization": f"Bearer {people['rep_token']}"})
    assert fetched.status_code == 200 and fetched.json()["sha256"] == receipt["sha256"]
    too_much = post({"organisation_krs": KRS, "form": form(requested_grant="10500.00")}, people["rep_token"],
                    "mg-door-2")
    assert too_much.status_code == 409 and too_much.json()["rule"] == "small_grant_amount"
    assert "art. 19a ust. 1 pkt 1" in too_much.json()["basis"]
    stranger = post(body, people["other_token"], "mg-door-3")
    assert stranger.status_code == 403 and stranger.json()["rule"] == "not_your_organisation"
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Case).where(Case.kind == "small_grant")).one() == 1
