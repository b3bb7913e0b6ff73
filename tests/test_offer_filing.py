"""Offers filed on the model form and their receipts (issue 22): the engine's handlers, the reads, the CLI and the
JSON door (web/portal_api.py). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from models.filing_tables import OfferVersion
from models.notification_tables import Notification
from models.tables import AuditRecord, Case, Deadline, Offer
from states import offer_filings
from states.engine import execute
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.model_forms.canonical import content_sha256
from states.model_forms.offer import OfferForm
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from tests.conftest import dump
from tests.offer_forms import sample_offer_form
from tests.people_fixtures import person
from tests.test_open_call_guards import KRS, announced_call, close_offers, do, session

FILED_AT = "2026-01-12T10:00+01:00"


def submit(code: str, krs: str = KRS[0], **form_options) -> open_call_inputs.SubmitOfferForm:
    return open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=krs,
                                                  form=sample_offer_form(krs, **form_options))


@pytest.fixture
def call(db_url):
    """An announced call (offers until 2026-01-23 in Warsaw), six organisations, their representatives."""
    code = announced_call(db_url)
    rep, rep_token = person(db_url, "rep", "Reprezentantka Delfina", ("applicant", KRS[0]))
    other, _ = person(db_url, "rep2", "Reprezentant Innej", ("applicant", KRS[1]))
    officer, _ = person(db_url, "olga", "Olga Urzędniczka", "officer")
    return db_url, code, {"rep": rep, "other": other, "officer": officer, "rep_token": rep_token}


def test_filing_as_the_representative_gives_a_receipt_whose_hash_is_the_forms_and_the_historys(call):
    url, code, people = call
    command = submit(code)
    answer = execute(open_call_handlers.file_offer_form, command, actor=people["rep"], url=url, at=FILED_AT)
    expected = content_sha256(OfferForm.model_validate(sample_offer_form(KRS[0])).content())
    assert answer["sha256"] == expected
    assert answer["receipt"] == f"{code}/1-1" and answer["version"] == 1 and answer["offer"] == 1
    assert answer["state"] == "received" and answer["received_at"] == "2026-01-12T09:00:00+00:00"
    with session(url) as s:
        offer = s.exec(select(Offer)).one()
        assert (offer.title, str(offer.requested_grant), str(offer.own_funds)) == (
            "Wakacje z nauką pływania", "8000.00", "1000.00")
        version = s.exec(select(OfferVersion)).one()
        assert (version.offer_id, version.version, version.sha256, version.receipt, version.filed_by) == (
            offer.id, 1, expected, answer["receipt"], "rep")
        assert content_sha256(version.content) == expected  # the stored content is what was hashed
        filed = s.exec(select(AuditRecord).where(AuditRecord.event == "file_offer")).one()
        assert filed.payload["sha256"] == expected and filed.payload["receipt"] == answer["receipt"]
        assert filed.subject == "offer:1" and filed.actor == "Reprezentantka Delfina"
        # the receipt goes to the organisation's address and the form's contact, once each
        told = s.exec(select(Notification).where(Notification.template == "offer_receipt")).all()
        assert sorted(n.recipient for n in told) == ["anna.nowak@delfin.example.pl", "org1@example.org"]
        assert all(n.data["payload"]["sha256"] == expected for n in told)


def test_the_receipt_message_renders_in_both_languages(call):
    from notifications.render import render

    url, code, people = call
    answer = execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url, at=FILED_AT)
    with session(url) as s:
        row = s.exec(select(Notification).where(Notification.template == "offer_receipt")).first()
    for lang, words in (("pl", ("potwierdzenie złożenia oferty", "12 stycznia 2026")), ("en", ("receipt of offer",))):
        out = render(row.template, row.data, lang)
        assert answer["receipt"] in out.subject and answer["sha256"] in out.text and code in out.text
        assert all(w in (out.subject + out.text) for w in words), out.text


def test_another_organisations_representative_is_refused_and_nothing_is_written(call):
    url, code, people = call
    before = dump(url)
    with pytest.raises(NotPermitted) as info:
        execute(open_call_handlers.file_offer_form, submit(code), actor=people["other"], url=url, at=FILED_AT)
    assert info.value.rule == "not_your_organisation" and info.value.basis
    assert KRS[0] in info.value.message()
    assert dump(url) == before


def test_the_lead_offeror_must_be_the_organisation_filing(call):
    url, code, people = call
    form = sample_offer_form(KRS[1])  # the form names another organisation first
    command = open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=KRS[0], form=form)
    before = dump(url)
    with pytest.raises(RuleViolation) as info:
        execute(open_call_handlers.file_offer_form, command, actor=people["rep"], url=url, at=FILED_AT)
    assert info.value.rule == "lead_offeror_not_organisation" and "art. 14" in info.value.basis
    assert dump(url) == before


def test_after_the_offer_deadline_in_warsaw_time_it_is_refused(call):
    url, code, people = call
    before = dump(url)
    # 2026-01-23 23:59:59 in Warsaw is the last moment; a second later is late
    execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url,
            at="2026-01-23T23:59:59+01:00")
    after_first = dump(url)
    with pytest.raises(RuleViolation) as info:
        execute(open_call_handlers.file_offer_form, submit(code, title="Druga oferta"), actor=people["rep"], url=url,
                at="2026-01-24T00:00:00+01:00")
    assert info.value.rule == "offer_late" and "art. 13 ust. 2 pkt 5" in info.value.basis
    assert dump(url) == after_first != before


def test_the_same_idempotency_key_twice_files_once(call):
    url, code, people = call
    first = execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url, at=FILED_AT,
                    idempotency_key="oferta-delfin-1")
    again = execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url,
                    at="2026-01-12T10:07+01:00", idempotency_key="oferta-delfin-1")
    assert again == first
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Offer)).one() == 1
        assert s.exec(select(func.count()).select_from(OfferVersion)).one() == 1


def test_the_officer_may_file_for_an_organisation(call):
    url, code, people = call
    answer = execute(open_call_handlers.file_offer_form, submit(code, krs=KRS[2]), actor=people["officer"], url=url,
                     at=FILED_AT)
    assert answer["receipt"] == f"{code}/1-1"


def correction_requested(url: str, code: str, people) -> None:
    execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url, at=FILED_AT)
    close_offers(url)
    do(url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(
        code=code, number=1, decision="correct", defects=("brak podpisu",)), "2026-01-26T10:00+01:00")


def test_a_correction_in_its_window_is_version_2_with_its_own_hash_and_the_offer_awaits_review(call):
    url, code, people = call
    correction_requested(url, code, people)
    corrected = sample_offer_form(KRS[0], title="Wakacje z nauką pływania (poprawiona)")
    command = open_call_inputs.CorrectOfferForm.parse(code=code, number=1, form=corrected)
    answer = execute(open_call_handlers.correct_offer_form, command, actor=people["rep"], url=url,
                     at="2026-01-29T12:00+01:00")
    expected = content_sha256(OfferForm.model_validate(corrected).content())
    assert answer["version"] == 2 and answer["sha256"] == expected and answer["receipt"] == f"{code}/1-2"
    assert answer["state"] == "received"  # the machine's file_correction: back to the officer's formal review
    with session(url) as s:
        versions = s.exec(select(OfferVersion).order_by(OfferVersion.version)).all()
        assert [v.version for v in versions] == [1, 2] and versions[0].sha256 != versions[1].sha256
        assert s.exec(select(Offer)).one().title == "Wakacje z nauką pływania (poprawiona)"
        record = s.exec(select(AuditRecord).where(AuditRecord.event == "file_correction")).one()
        assert (record.from_state, record.to_state, record.payload["sha256"]) == (
            "correction_requested", "received", expected)
        window = s.exec(select(Deadline).where(Deadline.kind == "correction_end")).one()
        assert window.outcome == "cancelled"  # a correction in time is never rejected as not corrected
    read = execute(offer_filings.offer_versions, offer_filings.OfferVersionsRef(code=code, number=1),
                   actor=people["rep"], url=url, readonly=True)
    assert [(v["version"], v["sha256"]) for v in read["versions"]] == [(1, versions[0].sha256), (2, expected)]
    # the officer accepts it formally as any received offer
    do(url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="accept"),
       "2026-01-30T10:00+01:00")


def test_a_correction_after_its_window_or_without_a_call_to_correct_is_refused(call):
    url, code, people = call
    execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url, at=FILED_AT)
    command = open_call_inputs.CorrectOfferForm.parse(code=code, number=1, form=sample_offer_form(KRS[0]))
    before = dump(url)
    with pytest.raises(RuleViolation) as info:  # nobody asked for a correction
        execute(open_call_handlers.correct_offer_form, command, actor=people["rep"], url=url,
                at="2026-01-13T10:00+01:00")
    assert info.value.rule == "wrong_state" and info.value.basis
    assert dump(url) == before
    close_offers(url)
    do(url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(
        code=code, number=1, decision="correct", defects=("brak podpisu",)), "2026-01-26T10:00+01:00")
    before = dump(url)
    with pytest.raises(RuleViolation) as info:  # 7 days: until 2026-02-02 in Warsaw
        execute(open_call_handlers.correct_offer_form, command, actor=people["rep"], url=url,
                at="2026-02-04T10:00+01:00")
    assert info.value.rule == "correction_late"
    assert dump(url) == before
    with pytest.raises(NotPermitted):  # and only by the offer's organisation
        execute(open_call_handlers.correct_offer_form, command, actor=people["other"], url=url,
                at="2026-01-27T10:00+01:00")


def test_the_offers_an_organisation_filed(call):
    url, code, people = call
    execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url, at=FILED_AT)
    execute(open_call_handlers.file_offer_form, submit(code, KRS[1]), actor=people["other"], url=url, at=FILED_AT)
    mine = execute(offer_filings.organisation_offers, offer_filings.OrganisationOffers(organisation_krs=KRS[0]),
                   actor=people["rep"], url=url, readonly=True)
    assert [(o["code"], o["offer"], o["receipt"]) for o in mine["offers"]] == [(code, 1, f"{code}/1-1")]
    with pytest.raises(NotPermitted):
        execute(offer_filings.organisation_offers, offer_filings.OrganisationOffers(organisation_krs=KRS[1]),
                actor=people["rep"], url=url, readonly=True)
    receipt = execute(offer_filings.offer_receipt, offer_filings.ReceiptRef(code=code, number=2),
                      actor=people["officer"], url=url, readonly=True)
    assert receipt["number"] == f"{code}/2-1" and receipt["case_title"] and receipt["content"]["task"]["title"]


# --- the CLI ------------------------------------------------------------------------------------------------------


@pytest.fixture
def coop(call, tmp_path):
    from typer.testing import CliRunner

    from coop import core_cli, procedures_cli  # noqa: F401  (importing them registers their commands)
    from coop.cli import app

    url, code, people = call
    runner = CliRunner()

    def invoke(*args: str, token: str = people["rep_token"], at: str = FILED_AT, lang: str | None = "en"):
        env = {"COOP_DATABASE_URL": url, "COOP_TOKEN": token, "COOP_LANG": lang, "COOP_NOW": at,
               "COOP_ACTOR": None, "COOP_ROLE": None}
        result = runner.invoke(app, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result

    return invoke, url, code, tmp_path


def test_cli_file_form_and_receipt(coop):
    invoke, url, code, tmp_path = coop
    form = tmp_path / "oferta.json"
    form.write_text(json.dumps(sample_offer_form(KRS[0]), ensure_ascii=False), encoding="utf-8")
    filed = invoke("offer", "file-form", code, "--form", str(form), "--organisation", KRS[0], "--json",
                   "--idempotency-key", "cli-1")
    assert filed.exit_code == 0, filed.output
    answer = json.loads(filed.output)
    assert answer["sha256"] == content_sha256(OfferForm.model_validate(sample_offer_form(KRS[0])).content())
    again = invoke("offer", "file-form", code, "--form", str(form), "--organisation", KRS[0], "--json",
                   "--idempotency-key", "cli-1")
    assert json.loads(again.output) == answer
    shown = invoke("offer", "receipt", code, "1", "--json")
    assert shown.exit_code == 0, shown.output
    receipt = json.loads(shown.output)
    assert (receipt["number"], receipt["sha256"], receipt["version"]) == (answer["receipt"], answer["sha256"], 1)
    missing = invoke("offer", "receipt", code, "1", "--version", "2")
    assert missing.exit_code == 3 and "version 2" in missing.output
    broken = tmp_path / "zla.json"
    broken.write_text("{nie json", encoding="utf-8")
    refused = invoke("offer", "file-form", code, "--form", str(broken), "--organisation", KRS[0])
    assert refused.exit_code == 2 and "form_not_json" not in refused.output and "JSON" in refused.output
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Offer)).one() == 1


def test_cli_file_form_prints_the_receipt_in_the_runs_language(coop):
    """``coop offer file-form`` prints the receipt by the printer ``coop grant file-form`` uses (coop/output.py
    ``show_receipt``): Polish by default, English with ``COOP_LANG=en``, the answer as it is with ``--json``; a
    broken form: its rule and basis named, exit 2, no traceback, nothing filed."""
    invoke, url, code, tmp_path = coop
    form = tmp_path / "oferta.json"
    form.write_text(json.dumps(sample_offer_form(KRS[0]), ensure_ascii=False), encoding="utf-8")
    sha = content_sha256(OfferForm.model_validate(sample_offer_form(KRS[0])).content())
    filed = invoke("offer", "file-form", code, "--form", str(form), "--organisation", KRS[0],
                   "--idempotency-key", "cli-pl", lang=None)
    assert filed.exit_code == 0, filed.output
    lines = filed.output.splitlines()
    assert lines[0] == "Złożono ofertę (art. 14)"
    assert f"Numer potwierdzenia: {code}/1-1" in lines and "Wersja: 1" in lines and f"Sprawa: {code}" in lines
    assert "Oferta: 1 („złożona”)" in lines and f"SHA-256: {sha}" in lines
    assert "Wpłynęła (czas warszawski): 2026-01-12 10:00 (+01:00)" in lines
    assert not any(line.startswith(("code:", "receipt:", "sha256:")) for line in lines)  # no raw key: value lines
    english = invoke("offer", "file-form", code, "--form", str(form), "--organisation", KRS[0],
                     "--idempotency-key", "cli-pl")  # the same key: the same receipt, in English
    assert english.exit_code == 0, english.output
    assert english.output.splitlines()[:3] == ["Offer filed (art. 14)", f"Receipt number: {code}/1-1", "Version: 1"]
    assert "Offer: 1 (“received”)" in english.output and "Received (Warsaw time): 2026-01-12 10:00 (+01:00)" in \
        english.output
    scripted = invoke("offer", "file-form", code, "--form", str(form), "--organisation", KRS[0],
                      "--idempotency-key", "cli-pl", "--json")
    assert json.loads(scripted.output)["sha256"] == sha and json.loads(scripted.output)["receipt"] == f"{code}/1-1"
    before = dump(url)
    broken = sample_offer_form(KRS[1])  # the form's lead offeror is not the organisation filing
    form.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    refused = invoke("offer", "file-form", code, "--form", str(form), "--organisation", KRS[0], lang=None)
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "art. 14" in refused.output, refused.output
    assert dump(url)["offer_versions"] == before["offer_versions"]


# --- the JSON door ------------------------------------------------------------------------------------------------


@pytest.fixture
def door(call):
    from web.app import create_app

    url, code, people = call
    return TestClient(create_app(url), base_url="https://testserver"), url, code, people


def post(client: TestClient, body, token: str | None, key: str | None = "k-1", raw: bytes | None = None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/oferty", content=raw if raw is not None else json.dumps(body), headers=headers)


def test_the_door_files_once_per_key_and_answers_the_receipt(door, monkeypatch):
    client, url, code, people = door
    # the door files at the server's clock; a simulation database takes the moment from COOP_NOW
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    body = {"code": code, "organisation_krs": KRS[0], "form": sample_offer_form(KRS[0])}
    first = post(client, body, people["rep_token"], key="portal-7f3a")
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["sha256"] == content_sha256(OfferForm.model_validate(sample_offer_form(KRS[0])).content())
    assert receipt["receipt"] == f"{code}/1-1"
    again = post(client, body, people["rep_token"], key="portal-7f3a")
    assert again.status_code in (200, 201) and again.json() == receipt
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Offer)).one() == 1
    # the same key for another body is refused, not taken as the first one
    other = post(client, {**body, "form": sample_offer_form(KRS[0], title="Inna")}, people["rep_token"],
                 key="portal-7f3a")
    assert other.status_code == 409 and other.json()["rule"] == "idempotency_key_reused"
    fetched = client.get("/api/v1/oferty/potwierdzenie", params={"code": code, "number": 1},
                         headers={"Authorization": f"Bearer {people['rep_token']}"})
    assert fetched.status_code == 200 and fetched.json()["sha256"] == receipt["sha256"]


def test_the_doors_refusals_are_json_with_the_rule_and_write_nothing(door, monkeypatch):
    client, url, code, people = door
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    body = {"code": code, "organisation_krs": KRS[0], "form": sample_offer_form(KRS[0])}
    before = dump(url)
    cases = [
        (post(client, body, None), 401, "bearer_required"),
        (post(client, body, "coop_" + "x" * 40), 401, "token_unknown"),
        (post(client, body, people["rep_token"], key=None), 400, "idempotency_key_required"),
        (post(client, None, people["rep_token"], raw=b'{"code": "OK/2026/001", '), 400, "body_not_json"),
        (post(client, None, people["rep_token"], raw=b"[1, 2]"), 400, "body_not_json"),
        (post(client, None, people["rep_token"], raw=b"\xff\xfe"), 400, "body_not_json"),
        (post(client, {**body, "extra": 1}, people["rep_token"]), 422, "invalid_input"),
        (post(client, {**body, "form": {"title": "bez reszty"}}, people["rep_token"]), 422, "invalid_input"),
        (post(client, {**body, "organisation_krs": KRS[1], "form": sample_offer_form(KRS[1])}, people["rep_token"]),
         403, "not_your_organisation"),
    ]
    for response, status, rule in cases:
        assert response.status_code == status, (rule, response.text)
        answer = response.json()
        assert answer["rule"] == rule and answer["message"] and set(answer) == {"rule", "message", "basis"}
        assert "Traceback" not in response.text
    assert dump(url) == {**before, "submission_attempts": dump(url)["submission_attempts"]}
    monkeypatch.setenv("COOP_NOW", "2026-01-24T00:00:01+01:00")
    late = post(client, body, people["rep_token"], key="late-1")
    assert late.status_code == 409 and late.json()["rule"] == "offer_late" and late.json()["basis"]


def test_the_door_limits_submissions_per_person(door, monkeypatch):
    client, url, code, people = door
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    monkeypatch.setenv("COOP_PORTAL_SUBMISSIONS", "2")
    body = {"code": code, "organisation_krs": KRS[0], "form": sample_offer_form(KRS[0])}
    assert post(client, body, people["rep_token"], key="a-1").status_code == 201
    assert post(client, {**body, "form": sample_offer_form(KRS[0], title="B")}, people["rep_token"],
                key="a-2").status_code == 201
    limited = post(client, {**body, "form": sample_offer_form(KRS[0], title="C")}, people["rep_token"], key="a-3")
    assert limited.status_code == 429 and limited.json()["rule"] == "submission_rate_limited"
    assert limited.headers["Retry-After"] == "60"
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(Offer)).one() == 2


def test_a_malformed_form_is_refused_before_the_engine(call):
    url, code, _ = call
    with pytest.raises(InvalidInput):
        open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=KRS[0], form={"title": "x"})


# --- the receipt's PDF: in the e-mail, from the CLI and from the door ---------------------------------------------


def pdf_text(data: bytes, tmp_path) -> str:
    import subprocess

    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_receipt_email_carries_the_pdf_of_what_was_filed(call, monkeypatch, tmp_path):
    from notifications.dispatcher import dispatch
    from tests.notification_helpers import SmtpServer, configure, free_port

    url, code, people = call
    server = SmtpServer(free_port()).start()
    try:
        configure(monkeypatch, server.port, url)
        answer = execute(open_call_handlers.file_offer_form, submit(code), actor=people["rep"], url=url, at=FILED_AT)
        dispatch("2026-01-12T10:05+01:00", url=url)
        for address in ("org1@example.org", "anna.nowak@delfin.example.pl"):
            (message,) = server.inbox.to(address)
            assert answer["receipt"] in message["Subject"]
            body = message.get_body(preferencelist=("plain",)).get_content()
            assert answer["sha256"] in body and "12 stycznia 2026" in body
            (attached,) = list(message.iter_attachments())
            assert attached.get_content_type() == "application/pdf"
            assert attached.get_filename() == "potwierdzenie-" + answer["receipt"].replace("/", "-") + ".pdf"
            text = pdf_text(attached.get_content(), tmp_path)
            assert answer["receipt"] in text and answer["sha256"][:16] in text.replace(" ", "").replace("\n", "")
            assert "Wakacje z nauką pływania" in text
    finally:
        server.stop()


def test_cli_receipt_pdf_and_the_doors_pdf(coop, call, tmp_path):
    from web.app import create_app

    invoke, url, code, _ = coop
    form = tmp_path / "oferta.json"
    form.write_text(json.dumps(sample_offer_form(KRS[0]), ensure_ascii=False), encoding="utf-8")
    answer = json.loads(invoke("offer", "file-form", code, "--form", str(form), "--organisation", KRS[0],
                               "--json").output)
    out = tmp_path / "potwierdzenie.pdf"
    shown = invoke("offer", "receipt", code, "1", "--pdf", str(out))
    assert shown.exit_code == 0, shown.output
    assert answer["receipt"] in shown.output and answer["sha256"] in shown.output
    assert answer["receipt"] in pdf_text(out.read_bytes(), tmp_path)
    client = TestClient(create_app(url), base_url="https://testserver")
    token = call[2]["rep_token"]
    pdf = client.get("/api/v1/oferty/potwierdzenie", params={"code": code, "number": 1, "format": "pdf"},
                     headers={"Authorization": f"Bearer {token}"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert answer["receipt"] in pdf_text(pdf.content, tmp_path)
    stranger = person(url, "rep3", "Ktoś Obcy", ("applicant", KRS[3]))[1]
    refused = client.get("/api/v1/oferty/potwierdzenie", params={"code": code, "number": 1, "format": "pdf"},
                         headers={"Authorization": f"Bearer {stranger}"})
    assert refused.status_code == 403 and refused.json()["rule"] == "not_your_organisation"


# --- a real database: the moment of receipt is the server's -------------------------------------------------------


def test_on_a_real_database_the_receipt_is_the_databases_time_and_no_moment_is_claimed(real_db_url, monkeypatch):
    from states import calendar
    from tests import test_clocks
    from tests.test_clocks import KRS as CLOCK_KRS
    from tests.test_clocks import call_announced_today

    monkeypatch.setattr(test_clocks, "OFFICER", person(real_db_url, "anna", "Anna Urzędniczka", "officer")[0])
    code = call_announced_today(real_db_url)
    rep, _ = person(real_db_url, "rep", "Reprezentantka", ("applicant", CLOCK_KRS))
    today = calendar.local_date(datetime.now(UTC))
    form = sample_offer_form(CLOCK_KRS, task_start=str(today + timedelta(days=80)),
                             task_end=str(today + timedelta(days=150)))
    command = open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=CLOCK_KRS, form=form)
    before = dump(real_db_url)
    with pytest.raises(RuleViolation) as info:  # a receipt cannot be dated back, even with a reason
        execute(open_call_handlers.file_offer_form, command, actor=rep, url=real_db_url,
                at=datetime.now(UTC) - timedelta(hours=2), reason="złożona wczoraj")
    assert info.value.rule == "at_written_time_only"
    assert dump(real_db_url) == before
    started = datetime.now(UTC)
    answer = execute(open_call_handlers.file_offer_form, command, actor=rep, url=real_db_url)
    received = datetime.fromisoformat(answer["received_at"])
    assert started - timedelta(seconds=5) <= received <= datetime.now(UTC) + timedelta(seconds=5)


def test_submissions_at_the_same_moment_into_one_call_each_file_once(call, monkeypatch):
    """The deadline's eve: several submissions race for the call's next offer number and its history's head; each
    is filed once, with its own number, none refused for the race (the door runs a lost race again)."""
    from concurrent.futures import ThreadPoolExecutor

    from web import portal_api

    url, code, people = call
    monkeypatch.setenv("COOP_NOW", FILED_AT)
    bodies = [{"code": code, "organisation_krs": KRS[0], "form": sample_offer_form(KRS[0], title=f"Zadanie {n}")}
              for n in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda n: portal_api._submit(url, people["rep_token"], f"race-{n}", bodies[n],
                                                             datetime.now(UTC)), range(6)))
    assert sorted(a["offer"] for a in answers) == [1, 2, 3, 4, 5, 6]
    with session(url) as s:
        assert s.exec(select(func.count()).select_from(OfferVersion)).one() == 6


def _real_call_with_a_representative(real_db_url, monkeypatch):
    from states import calendar
    from tests import test_clocks
    from tests.test_clocks import KRS as CLOCK_KRS
    from tests.test_clocks import call_announced_today

    monkeypatch.setattr(test_clocks, "OFFICER", person(real_db_url, "anna", "Anna Urzędniczka", "officer")[0])
    code = call_announced_today(real_db_url)
    rep, token = person(real_db_url, "rep", "Reprezentantka", ("applicant", CLOCK_KRS))
    today = calendar.local_date(datetime.now(UTC))
    form = sample_offer_form(CLOCK_KRS, task_start=str(today + timedelta(days=80)),
                             task_end=str(today + timedelta(days=150)))
    return code, rep, token, CLOCK_KRS, form


def test_on_a_real_database_a_rush_into_one_call_files_each_once_and_none_is_refused_for_the_clock(
        real_db_url, monkeypatch):
    """The deadline's eve on a real database: filings that wait for the call's row take the database's time again
    once it is theirs, so none is written before the one it waited for (no ``clock_backwards``, B6 found 18)."""
    from concurrent.futures import ThreadPoolExecutor

    from web import portal_api

    code, _, token, krs, form = _real_call_with_a_representative(real_db_url, monkeypatch)
    bodies = [{"code": code, "organisation_krs": krs, "form": {**form, "task": {**form["task"], "title": f"Zadanie {n}"}}}
              for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: portal_api._submit(real_db_url, token, f"rush-{n}", bodies[n],
                                                             datetime.now(UTC)), range(8)))
    assert sorted(a["offer"] for a in answers) == list(range(1, 9))
    with session(real_db_url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        moments = s.exec(select(AuditRecord.at).where(AuditRecord.case_id == case.id).order_by(AuditRecord.seq)).all()
    assert moments == sorted(moments)


def test_an_offer_that_reached_the_door_before_the_deadline_is_on_time_though_written_after_it(
        real_db_url, monkeypatch):
    """The moment of receipt is when the door received the offer (KPA art. 57 § 5), not when its turn came in the
    rush: within ARRIVAL_SKEW of the database's time of writing; a door's moment further back is not believed."""
    import sqlalchemy as sa

    from states.offer_filings import ARRIVAL_SKEW

    code, rep, _, krs, form = _real_call_with_a_representative(real_db_url, monkeypatch)
    command = open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=krs, form=form)
    deadline = datetime.now(UTC) - timedelta(seconds=5)  # the deadline has just passed
    with session(real_db_url) as s:
        s.exec(sa.update(Case).where(Case.code == code).values(offer_deadline=deadline))
        s.commit()
    arrived = deadline - timedelta(seconds=20)
    answer = execute(open_call_handlers.file_offer_form, command, actor=rep, url=real_db_url, arrived_at=arrived)
    assert datetime.fromisoformat(answer["received_at"]) == arrived
    before = dump(real_db_url)
    with pytest.raises(RuleViolation) as info:  # a door's moment older than the skew: the database's time decides
        execute(open_call_handlers.file_offer_form, command, actor=rep, url=real_db_url, idempotency_key="other",
                arrived_at=datetime.now(UTC) - ARRIVAL_SKEW - timedelta(minutes=1))
    assert info.value.rule == "offer_late"
    assert dump(real_db_url) == {**before, "intent_arrivals": dump(real_db_url)["intent_arrivals"]}  # the door's log


def test_a_retry_after_the_deadline_run_before_its_queued_first_attempt_files_once_at_the_first_moment(
        real_db_url, monkeypatch):
    """B6 saw an answer the database contradicted: a first attempt sent before the deadline waited in the door's
    queue, the client timed out and retried after the deadline, the retry ran first and was refused as late, then
    the first attempt filed the offer. Each attempt now notes its moment under its key before it waits
    (``first_arrival``): the retry is received when the first attempt was, files the offer once, and the first
    attempt, run last, answers the same receipt. Another input under the same key gains nothing."""
    import sqlalchemy as sa

    from states.engine import prepare, run_prepared_alone

    code, rep, _, krs, form = _real_call_with_a_representative(real_db_url, monkeypatch)
    command = open_call_inputs.SubmitOfferForm.parse(code=code, organisation_krs=krs, form=form)
    deadline = datetime.now(UTC) - timedelta(seconds=5)
    with session(real_db_url) as s:
        s.exec(sa.update(Case).where(Case.code == code).values(offer_deadline=deadline))
        s.commit()
    first = prepare(open_call_handlers.file_offer_form, command, actor=rep, idempotency_key="rush-1",
                    arrived_at=deadline - timedelta(seconds=1), url=real_db_url)  # noted, then queued
    retry = prepare(open_call_handlers.file_offer_form, command, actor=rep, idempotency_key="rush-1",
                    arrived_at=datetime.now(UTC), url=real_db_url)
    assert retry.arrived_at == deadline - timedelta(seconds=1)
    answer = run_prepared_alone(retry, url=real_db_url)
    assert datetime.fromisoformat(answer["received_at"]) == deadline - timedelta(seconds=1)
    assert run_prepared_alone(first, url=real_db_url) == answer  # the key decides: the same receipt, filed once
    with session(real_db_url) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        assert len(s.exec(select(Offer).where(Offer.case_id == case.id)).all()) == 1

    other = open_call_inputs.SubmitOfferForm.parse(
        code=code, organisation_krs=krs, form={**form, "task": {**form["task"], "title": "Inne zadanie"}})
    prepare(open_call_handlers.file_offer_form, other, actor=rep, idempotency_key="rush-2",
            arrived_at=deadline - timedelta(seconds=1), url=real_db_url)
    before = dump(real_db_url)
    with pytest.raises(RuleViolation) as info:  # the same key, another offer: its own moment, after the deadline
        execute(open_call_handlers.file_offer_form, command, actor=rep, url=real_db_url, idempotency_key="rush-2",
                arrived_at=datetime.now(UTC))
    assert info.value.rule == "offer_late"
    assert dump(real_db_url) == {**before, "intent_arrivals": dump(real_db_url)["intent_arrivals"]}
