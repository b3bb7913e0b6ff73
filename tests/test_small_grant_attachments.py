"""Files attached to a small grant's draft (art. 19a; issue 22): the same handlers, limits and refusals as a call's
offer's (states/offer_attachments.py, web/portal_attachments.py), the draft having no case until its filing makes
one. Through the portal: a statute attached on the small grant's form, listed, downloaded by its representative and
refused to another organisation's, filed with the offer (its hash in the content the receipt's hash is of), read by
the organisation and the officer; refused by its content, its size and the count with the rule and the small grant's
basis named, nothing written; only the owner's organisation. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re

import pytest

from states.engine import execute
from states.errors import InvalidInput, NotPermitted
from states.offer_attachments import AttachFile, AttachmentLimits, DraftFiles, attach_file, draft_files
from tests.conftest import dump
from tests.offer_forms import sample_simplified_offer_form
from tests.people_fixtures import person
from tests.portal_pages import flatten, portal_environment
from tests.test_desk import client, with_password
from tests.test_desk import log_in as desk_log_in
from tests.test_offer_attachments import verify_receipt
from tests.test_portal_offers import csrf_of, intent_of, log_in
from tests.test_small_grant import KRS, OTHER_KRS, setup_registry

AT = "2026-04-01T10:00+02:00"
TASK = {"task_start": "2026-05-01", "task_end": "2026-07-16", "requested_grant": "9500.00"}
PAGE = f"/portal/pozakonkursowa?organizacja={KRS}"
LIMITS = AttachmentLimits()  # Leszno's rule set's, in force
STATUTE = b"%PDF-1.4\n% statut stowarzyszenia\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200  # a Windows program, whatever its name says
BASIS = "art. 19a ust. 1"


@pytest.fixture(autouse=True)
def desk_key(tmp_path, monkeypatch):
    portal_environment(monkeypatch, tmp_path, AT)


@pytest.fixture
def portal(db_url):
    setup_registry(db_url)
    with_password(db_url, "rowery", "Anna Nowak", ("applicant", KRS))
    with_password(db_url, "podworko", "Ewa Inna", ("applicant", OTHER_KRS))
    return db_url, log_in(db_url, "rowery")


def post(c, page, fields, action, upload=None, kind="statute", path=PAGE):
    data = {"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": action,
            "attachment_kind": kind, **fields}
    files = {"attachment_file": upload or ("", b"", "application/octet-stream")}
    return c.post(path, data=data, files=files, follow_redirects=False)


def test_a_statute_is_attached_to_the_small_grant_draft_and_filed_with_the_offer(portal):
    url, c = portal
    page = c.get(PAGE)
    assert 'enctype="multipart/form-data"' in page.text and 'name="attachment_file"' in page.text
    assert "o które może poprosić urząd" in page.text  # the small grant's words: no call's announcement
    fields = flatten(sample_simplified_offer_form(KRS, **TASK))
    attached = post(c, page, fields, "attach", ("C:\\dokumenty\\Statut 2024.pdf", STATUTE, "text/plain"))
    assert attached.status_code == 200, attached.text
    sha = hashlib.sha256(STATUTE).hexdigest()
    assert "Statut 2024.pdf" in attached.text and sha in attached.text
    assert 'value="Wakacje z nauką pływania"' in attached.text  # what was typed is kept (and saved as the draft)
    # the draft's own file, for its representative; another organisation's is refused it
    link = re.search(r'href="(/portal/oferty/szkic/zalacznik/\d+\?[^"]+)"', attached.text).group(1).replace("&amp;", "&")
    assert "nabor=" not in link  # no call: the small grant's draft
    assert c.get(link).content == STATUTE
    other = log_in(url, "podworko")
    assert other.get(link).status_code == 403
    assert other.get(link.replace(f"organizacja={KRS}", f"organizacja={OTHER_KRS}")).status_code == 404
    # kept when the page is shown again
    again = c.get(PAGE)
    assert "Statut 2024.pdf" in again.text
    filed = post(c, again, fields, "submit")
    assert filed.status_code == 303, filed.text
    receipt = c.get(filed.headers["location"]).text
    receipt_sha = re.search(r'<dd class="hash">([0-9a-f]{64})</dd>', receipt).group(1)
    assert "Statut 2024.pdf" in receipt and sha in receipt
    content = c.get("/portal/oferty/MG/2026/001/1/tresc.json?wersja=1").content
    assert hashlib.sha256(content).hexdigest() == receipt_sha
    assert f'"attachments":[{{"kind":"statute","media_type":"application/pdf","name":"Statut 2024.pdf",' \
           f'"sha256":"{sha}","size":{len(STATUTE)}}}]' in content.decode()
    got = c.get("/portal/oferty/MG/2026/001/1/zalaczniki/1/1")
    assert got.status_code == 200 and got.content == STATUTE and got.headers["content-type"] == "application/pdf"
    assert other.get("/portal/oferty/MG/2026/001/1/zalaczniki/1/1").status_code == 403
    # the draft is gone with its filing, and a new draft starts without files
    assert "Statut 2024.pdf" not in c.get(PAGE).text
    # the officer reads it on the desk's offer page
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    anna = client(url)
    assert desk_log_in(anna, "anna").status_code == 303
    offer_page = anna.get("/sprawy/MG/2026/001/oferty/1").text
    assert "Statut 2024.pdf" in offer_page and 'href="/sprawy/MG/2026/001/oferty/1/zalaczniki/1/1"' in offer_page
    assert anna.get("/sprawy/MG/2026/001/oferty/1/zalaczniki/1/1").content == STATUTE


def test_a_file_is_refused_by_its_content_and_size_with_the_rule_named_and_nothing_written(portal):
    url, c = portal
    page = c.get(PAGE)
    fields = {"basic.title": "Wakacje"}
    post(c, page, fields, "save")  # the draft exists: the refusals below change nothing of it
    before = dump(url)
    program = post(c, page, fields, "attach", ("statut.pdf", PROGRAM, "application/pdf"))
    assert program.status_code == 422
    assert "nie jest plikiem PDF, PNG, JPEG" in program.text and "sprawdzono jego treść" in program.text
    big = post(c, page, fields, "attach", ("skan.pdf", STATUTE + b"0" * LIMITS.max_bytes, "application/pdf"))
    assert big.status_code == 422 and "najwyżej 5 MB" in big.text
    assert dump(url)["offer_attachments"] == before["offer_attachments"] == []
    # a file chosen when "file the offer" is pressed: refused, and the offer is not filed
    refused = post(c, page, flatten(sample_simplified_offer_form(KRS, **TASK)), "submit",
                   ("umowa.pdf", PROGRAM, "application/pdf"), kind="partnership_agreement")
    assert refused.status_code == 422 and "nie jest plikiem PDF" in refused.text
    assert dump(url)["cases"] == before["cases"]


def test_the_count_the_basis_and_the_organisation_are_the_engines_rules(db_url):
    setup_registry(db_url)
    mine, _ = person(db_url, "rowery", "Anna Nowak", ("applicant", KRS))
    other, _ = person(db_url, "podworko", "Ewa Inna", ("applicant", OTHER_KRS))

    def attach(actor, body, name="plik.png", krs=KRS, kind="other"):
        return execute(attach_file, AttachFile(organisation_krs=krs, kind=kind, name=name, content=body),
                       actor=actor, url=db_url, at=AT)

    before = dump(db_url)
    for body, rule in ((PROGRAM, "attachment_type_not_allowed"), (b"", "attachment_empty"),
                       (STATUTE + b"0" * LIMITS.max_bytes, "attachment_too_large")):
        with pytest.raises(InvalidInput) as refused:
            attach(mine, body, name="plik.pdf")
        assert refused.value.rule == rule and BASIS in refused.value.basis and BASIS in refused.value.message()
    assert dump(db_url) == before
    for i in range(LIMITS.max_files):
        attach(mine, PNG + bytes([i]), name=f"zdjęcie {i}.png")
    before = dump(db_url)
    with pytest.raises(InvalidInput) as too_many:
        attach(mine, PNG + b"\xff")
    assert too_many.value.rule == "attachment_too_many" and "najwyżej 10" in too_many.value.message()
    assert BASIS in too_many.value.basis
    with pytest.raises(NotPermitted) as foreign:  # another organisation's representative, this draft named
        attach(other, STATUTE)
    assert foreign.value.rule == "not_your_organisation"
    with pytest.raises(InvalidInput) as correction:  # a small grant has no correction round
        execute(attach_file, AttachFile(organisation_krs=KRS, offer_number=1, kind="other", name="a.pdf",
                                        content=STATUTE), actor=mine, url=db_url, at=AT)
    assert correction.value.rule == "small_grant_no_correction"
    assert dump(db_url) == before
    listed = execute(draft_files, DraftFiles(organisation_krs=KRS), actor=mine, url=db_url, readonly=True)
    assert len(listed["pending"]) == LIMITS.max_files and listed["kept"] == []
    assert execute(draft_files, DraftFiles(organisation_krs=OTHER_KRS), actor=other, url=db_url,
                   readonly=True)["pending"] == []  # another organisation's small-grant draft: its own files
    with pytest.raises(NotPermitted):
        execute(draft_files, DraftFiles(organisation_krs=KRS), actor=other, url=db_url, readonly=True)


def test_the_json_door_attaches_to_the_small_grant_draft_and_files_it_with_the_offer(db_url, tmp_path, monkeypatch):
    """``POST /api/v1/oferty/zalaczniki`` without a call's code: the organisation's small-grant draft, by the same
    handler, limits and refusals as the browser's form; filed through ``/api/v1/oferty-pozakonkursowe`` with the
    offer's version, its hash in the content the receipt's hash is of. Refused (nothing written): a program renamed
    .pdf, a file too big, one too many, no token, another organisation's draft. The same key twice: the same answer."""
    import base64
    import json

    from fastapi.testclient import TestClient

    from web.app import create_app

    monkeypatch.setenv("COOP_PORTAL_SUBMISSIONS", "100")
    setup_registry(db_url)
    mine, token = person(db_url, "rowery", "Anna Nowak", ("applicant", KRS))
    _, other_token = person(db_url, "podworko", "Ewa Inna", ("applicant", OTHER_KRS))
    door = TestClient(create_app(db_url), base_url="https://testserver")

    def send(path, body, bearer=None, **headers):
        auth = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return door.post(path, content=json.dumps(body), headers={**auth, "Content-Type": "application/json",
                                                                  **headers})

    def upload(content, name="statut.pdf", kind="statute"):
        return {"organisation_krs": KRS, "kind": kind, "name": name,
                "content_base64": base64.b64encode(content).decode()}

    def written():  # the rows a refusal must not change (the rate limit counts attempts: not the draft's)
        return {table: rows for table, rows in dump(db_url).items() if table != "submission_attempts"}

    attach = "/api/v1/oferty/zalaczniki"
    before = written()
    for body, bearer, status, rule in [
        (upload(PROGRAM), token, 422, "attachment_type_not_allowed"),  # a program renamed .pdf
        (upload(STATUTE + b"0" * LIMITS.max_bytes), token, 422, "attachment_too_large"),
        (upload(STATUTE), None, 401, "bearer_required"),
        (upload(STATUTE), "nie-token", 401, None),
        (upload(STATUTE), other_token, 403, "not_your_organisation"),  # another organisation's draft
        ({**upload(STATUTE), "offer_number": 1}, token, 422, "small_grant_no_correction"),
    ]:
        refused = send(attach, body, bearer)
        assert refused.status_code == status, refused.text
        assert rule is None or refused.json()["rule"] == rule, refused.text
        assert "Traceback" not in refused.text
        if status == 422 and rule.startswith("attachment_"):
            assert BASIS in refused.json()["basis"] and "poz. 2055" in refused.json()["basis"]
    assert written() == before
    # the statute, under a key; the same key again: the same answer, one file
    added = send(attach, upload(STATUTE), token, **{"Idempotency-Key": "mg-zal-1"})
    assert added.status_code == 201, added.text
    sha = hashlib.sha256(STATUTE).hexdigest()
    assert added.json()["sha256"] == sha and added.json()["name"] == "statut.pdf"
    again = send(attach, upload(STATUTE), token, **{"Idempotency-Key": "mg-zal-1"})
    assert again.status_code == 201 and again.json() == added.json()
    assert len(dump(db_url)["offer_attachments"]) == 1
    reused = send(attach, upload(PNG, name="a.png", kind="other"), token, **{"Idempotency-Key": "mg-zal-1"})
    assert reused.status_code == 409 and reused.json()["rule"] == "idempotency_key_reused"
    # the count: at most the rule set's, the next refused, nothing written
    for i in range(LIMITS.max_files - 1):
        assert send(attach, upload(PNG + bytes([i]), name=f"zdjęcie {i}.png", kind="other"),
                    token).status_code == 201
    before = written()
    too_many = send(attach, upload(PNG + b"\xff", name="jeszcze.png", kind="other"), token)
    assert too_many.status_code == 422 and too_many.json()["rule"] == "attachment_too_many"
    assert BASIS in too_many.json()["basis"]
    assert written() == before
    # the filing takes the draft's files into its version: their hashes in the content the receipt's hash is of
    filed = send("/api/v1/oferty-pozakonkursowe", {"organisation_krs": KRS,
                                                    "form": sample_simplified_offer_form(KRS, **TASK)},
                 token, **{"Idempotency-Key": "mg-oferta-1"})
    assert filed.status_code == 201, filed.text
    receipt = door.get(filed.headers["location"], headers={"Authorization": f"Bearer {token}"}).json()
    listed = receipt["content"]["attachments"]
    assert len(listed) == LIMITS.max_files and listed[0]["sha256"] == sha and listed[0]["name"] == "statut.pdf"
    assert receipt["sha256"] == filed.json()["sha256"]
    check = verify_receipt(tmp_path, receipt, STATUTE)
    assert check.returncode == 0, check.stdout + check.stderr
    # the files now name the case the filing made; a new small-grant draft starts without files
    from sqlmodel import select

    from models.attachment_tables import OfferAttachment
    from tests.test_open_call_guards import session

    with session(db_url) as s:
        rows = s.exec(select(OfferAttachment)).all()
        assert len(rows) == LIMITS.max_files and all(r.version_id is not None and r.case_id for r in rows)
    assert execute(draft_files, DraftFiles(organisation_krs=KRS), actor=mine, url=db_url,
                   readonly=True)["pending"] == []
