"""Files attached to an offer (states/offer_attachments.py, web/portal_attachments.py), on SQLite and PostgreSQL:
a statute attached on the form and filed with the offer (its hash in the content the receipt's hash is of, checked
by tools/verify_receipt.py, which fails when one byte of the file or the content changes; listed in the PDF;
downloaded by the organisation, the officer and the call's committee, refused to another organisation); a file
refused by its content (a program named .pdf), its size, the count, with the rule named and nothing written; a
correction keeps the files of the version it corrects; the browser door's filings share the JSON door's rate
limit."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys

import pytest

from states.engine import execute
from states.errors import InvalidInput, NotPermitted, RuleViolation
from states.offer_attachments import (
    CEILING_BYTES,
    AttachFile,
    AttachmentLimits,
    DraftFiles,
    attach_file,
    draft_files,
    safe_name,
)
from states.procedures.open_call import handlers as open_call_handlers
from tests.conftest import dump
from tests.offer_forms import sample_offer_form
from tests.people_fixtures import person
from tests.portal_pages import flatten
from tests.test_desk import client, with_password
from tests.test_desk import log_in as desk_log_in
from tests.test_open_call_guards import KRS, MEMBERS, create, do
from tests.test_open_call_guards import OFFICER as OFFICER_ACTOR
from tests.test_portal_offers import (  # noqa: F401 (fixtures)
    AT,
    ROOT,
    csrf_of,
    desk_key,
    intent_of,
    log_in,
    new_offer_page,
    portal,
)

LIMITS = AttachmentLimits()  # Leszno's rule set's (the calls here pin it)
STATUTE = b"%PDF-1.4\n% statut stowarzyszenia\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200  # a Windows program, whatever its name says


def post(c, code, krs, page, fields, action, files=None, kind="statute"):
    data = {"csrf": csrf_of(page.text), "intent": intent_of(page.text), "action": action,
            "attachment_kind": kind, **fields}
    upload = {"attachment_file": files} if files else {"attachment_file": ("", b"", "application/octet-stream")}
    return c.post(f"/portal/oferty/nowa/{code}?organizacja={krs}", data=data, files=upload, follow_redirects=False)


def verify(tmp_path, content: bytes, sha: str, *attachments: bytes) -> subprocess.CompletedProcess:
    saved = tmp_path / "oferta.json"
    saved.write_bytes(content)
    args = [sys.executable, str(ROOT / "tools" / "verify_receipt.py"), str(saved), "--sha256", sha]
    for i, body in enumerate(attachments):
        path = tmp_path / f"file-{i}"
        path.write_bytes(body)
        args += ["--attachment", str(path)]
    return subprocess.run(args, capture_output=True, text=True)



def verify_receipt(tmp_path, receipt: dict, *attachments: bytes) -> subprocess.CompletedProcess:
    """tools/verify_receipt.py on a receipt as the JSON door returns it, with the files it names."""
    import json

    saved = tmp_path / "receipt.json"
    saved.write_text(json.dumps(receipt), encoding="utf-8")
    args = [sys.executable, str(ROOT / "tools" / "verify_receipt.py"), "--receipt", str(saved)]
    for i, body in enumerate(attachments):
        path = tmp_path / f"attachment-{i}"
        path.write_bytes(body)
        args += ["--attachment", str(path)]
    return subprocess.run(args, capture_output=True, text=True)

def desk(url: str, login: str):
    c = client(url)
    assert desk_log_in(c, login).status_code == 303
    return c


def test_a_statute_is_filed_with_its_hash_on_the_receipt_and_read_by_whom_it_concerns(portal, tmp_path):  # noqa: F811
    url, code, c, krs = portal
    page = new_offer_page(c, code, krs)
    assert 'enctype="multipart/form-data"' in page.text and 'name="attachment_file"' in page.text
    fields = flatten(sample_offer_form(KRS[0]))
    attached = post(c, code, krs, page, fields, "attach", ("C:\\dokumenty\\Statut 2024.pdf", STATUTE, "text/plain"))
    assert attached.status_code == 200, attached.text
    sha = hashlib.sha256(STATUTE).hexdigest()
    assert "Statut 2024.pdf" in attached.text and sha in attached.text  # the name sanitised, the hash shown
    assert f'value="{fields["task.title"]}"' in attached.text  # what was typed is kept (and saved as the draft)
    english = c.get(f"/portal/oferty/nowa/{code}?organizacja={krs}&lang=en").text
    assert "<legend>Attachments</legend>" in english and "Attach the file" in english and "Statute" in english
    # the draft's own file, for its representative
    link = re.search(r'href="(/portal/oferty/szkic/zalacznik/\d+\?[^"]+)"', attached.text).group(1).replace("&amp;", "&")
    assert c.get(link).content == STATUTE
    other = log_in(url, "inna")
    assert other.get(link).status_code == 403
    filed = post(c, code, krs, attached, fields, "submit")
    assert filed.status_code == 303, filed.text
    receipt = c.get(filed.headers["location"]).text
    receipt_sha = re.search(r'<dd class="hash">([0-9a-f]{64})</dd>', receipt).group(1)
    assert "Statut 2024.pdf" in receipt and sha in receipt
    content = c.get(f"/portal/oferty/{code}/1/tresc.json?wersja=1").content
    assert hashlib.sha256(content).hexdigest() == receipt_sha
    assert f'"attachments":[{{"kind":"statute","media_type":"application/pdf","name":"Statut 2024.pdf",' \
           f'"sha256":"{sha}","size":{len(STATUTE)}}}]' in content.decode()
    ok = verify(tmp_path, content, receipt_sha, STATUTE)
    assert ok.returncode == 0 and "Statut 2024.pdf" in ok.stdout, ok.stdout + ok.stderr
    changed_file = verify(tmp_path, content, receipt_sha, STATUTE[:-2] + b"X\n")
    assert changed_file.returncode == 1 and "MISMATCH" in changed_file.stdout
    changed_content = verify(tmp_path, content.replace(sha.encode(), sha[:-1].encode() + b"0"), receipt_sha)
    assert changed_content.returncode == 1 and "MISMATCH" in changed_content.stdout
    # downloaded by the organisation, byte for byte, as the type its bytes say
    got = c.get(f"/portal/oferty/{code}/1/zalaczniki/1/1")
    assert got.status_code == 200 and got.content == STATUTE and got.headers["content-type"] == "application/pdf"
    assert "Statut%202024.pdf" in got.headers["content-disposition"]
    assert c.get(f"/portal/oferty/{code}/1/zalaczniki/1/2").status_code == 404
    # another organisation's representative guessing the address: refused, nothing shown
    for guessed in (f"/portal/oferty/{code}/1/zalaczniki/1/1", f"/portal/oferty/{code}/1/zalaczniki/1/2"):
        refused = other.get(guessed)
        assert refused.status_code == 403 and STATUTE not in refused.content
    # the officer and the call's committee member on the desk; a member of another call's committee refused
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    with_password(url, "jan", MEMBERS[0], ("committee_member", code))
    with_password(url, "ewa", MEMBERS[1], ("committee_member", create(url)))
    anna, jan, ewa = desk(url, "anna"), desk(url, "jan"), desk(url, "ewa")
    offer_page = anna.get(f"/sprawy/{code}/oferty/1").text
    assert "Statut 2024.pdf" in offer_page and f'href="/sprawy/{code}/oferty/1/zalaczniki/1/1"' in offer_page
    assert anna.get(f"/sprawy/{code}/oferty/1/zalaczniki/1/1").content == STATUTE
    assert jan.get(f"/sprawy/{code}/oferty/1/zalaczniki/1/1").content == STATUTE
    assert ewa.get(f"/sprawy/{code}/oferty/1/zalaczniki/1/1").status_code == 403
    # the PDF lists it with its hash
    if shutil.which("pdftotext"):
        pdf = tmp_path / "oferta.pdf"
        pdf.write_bytes(c.get(f"/portal/oferty/{code}/1/pokwitowanie.pdf?wersja=1").content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Załączniki" in text and "statut" in text and sha[:16] in text.replace("\n", "")


def test_a_file_is_refused_by_its_content_and_size_with_the_rule_named_and_nothing_written(portal):  # noqa: F811
    url, code, c, krs = portal
    page = new_offer_page(c, code, krs)
    fields = {"task.title": "Wakacje"}
    post(c, code, krs, page, fields, "save")  # the draft exists: the refusals below change nothing of it
    before = dump(url)
    program = post(c, code, krs, page, fields, "attach", ("statut.pdf", PROGRAM, "application/pdf"))
    assert program.status_code == 422
    assert "nie jest plikiem PDF, PNG, JPEG" in program.text and "sprawdzono jego treść" in program.text
    big = post(c, code, krs, page, fields, "attach", ("skan.pdf", STATUTE + b"0" * LIMITS.max_bytes, "application/pdf"))
    assert big.status_code == 422 and "najwyżej 5 MB" in big.text
    assert dump(url)["offer_attachments"] == before["offer_attachments"] == []
    # the file filed when "file the offer" is pressed with it chosen: refused, the offer is not filed
    refused = post(c, code, krs, page, flatten(sample_offer_form(KRS[0])), "submit",
                   ("umowa.pdf", PROGRAM, "application/pdf"), kind="partnership_agreement")
    assert refused.status_code == 422 and "nie jest plikiem PDF" in refused.text
    assert dump(url).get("offers") == before.get("offers")
    # a post larger than one file may be is refused before it is read
    huge = c.post(f"/portal/oferty/nowa/{code}?organizacja={krs}", content=b"x" * 16,
                  headers={"content-length": str(CEILING_BYTES * 2), "content-type": "multipart/form-data"})
    assert huge.status_code == 413


def test_the_count_the_kind_and_the_organisation_are_the_engines_rules(db_url):
    from tests.test_open_call_guards import announced_call

    code = announced_call(db_url, orgs=3)
    mine, _ = person(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    other, _ = person(db_url, "inna", "Ewa Inna", ("applicant", KRS[1]))

    def attach(actor, body, name="plik.png", krs=KRS[0], kind="other"):
        return execute(attach_file, AttachFile(code=code, organisation_krs=krs, kind=kind, name=name, content=body),
                       actor=actor, url=db_url, at=AT)

    for i in range(LIMITS.max_files):
        attach(mine, PNG + bytes([i]), name=f"zdjęcie {i}.png")
    before = dump(db_url)
    with pytest.raises(InvalidInput) as too_many:
        attach(mine, PNG + b"\xff")
    assert too_many.value.rule == "attachment_too_many" and "najwyżej 10" in too_many.value.message()
    with pytest.raises(NotPermitted) as foreign:  # another organisation's representative, its draft named
        attach(other, STATUTE)
    assert foreign.value.rule == "not_your_organisation"
    with pytest.raises(InvalidInput):  # a kind the form does not know
        AttachFile.parse(code=code, organisation_krs=KRS[0], kind="virus", name="x.pdf", content=STATUTE)
    assert dump(db_url) == before
    listed = execute(draft_files, DraftFiles(code=code, organisation_krs=KRS[0]), actor=mine, url=db_url,
                     readonly=True)
    assert [f["name"] for f in listed["pending"]][:2] == ["zdjęcie 0.png", "zdjęcie 1.png"]
    with pytest.raises(NotPermitted):
        execute(draft_files, DraftFiles(code=code, organisation_krs=KRS[0]), actor=other, url=db_url, readonly=True)
    # the same file twice is refused as already attached
    with pytest.raises(InvalidInput) as repeated:
        execute(attach_file, AttachFile(code=code, organisation_krs=KRS[1], kind="statute", name="a.pdf",
                                        content=STATUTE), actor=other, url=db_url, at=AT)
        execute(attach_file, AttachFile(code=code, organisation_krs=KRS[1], kind="statute", name="b.pdf",
                                        content=STATUTE), actor=other, url=db_url, at=AT)
    assert repeated.value.rule == "attachment_repeated"


@pytest.mark.fast
@pytest.mark.parametrize(("name", "media", "expected"), [
    ("../../etc/Statut.pdf", "application/pdf", "Statut.pdf"),
    ("C:\\Users\\x\\umowa partnerska.PDF", "application/pdf", "umowa partnerska.PDF"),
    ("skan.pdf", "image/png", "skan.pdf.png"),
    ("zdjęcie.jpeg", "image/jpeg", "zdjęcie.jpeg"),
    ('a"b<c>\x07\u202e.pdf', "application/pdf", "a_b_c_.pdf"),
    ("...", "application/pdf", "zalacznik.pdf"),
    ("x" * 300 + ".pdf", "application/pdf", "x" * 96 + ".pdf"),
])
def test_a_file_name_is_sanitised(name, media, expected):
    assert safe_name(name, media) == expected


def test_a_correction_keeps_the_files_of_the_version_it_corrects(portal, monkeypatch):  # noqa: F811
    from states.procedures.open_call import handlers as oc
    from states.procedures.open_call import inputs as oc_inputs
    from tests.test_open_call_guards import close_offers

    url, code, c, krs = portal
    page = new_offer_page(c, code, krs)
    fields = flatten(sample_offer_form(KRS[0]))
    assert post(c, code, krs, page, fields, "submit", ("statut.pdf", STATUTE, "application/pdf")).status_code == 303
    close_offers(url)
    do(url, oc.review_offer, oc_inputs.ReviewOffer(code=code, number=1, decision="correct",
                                                   defects=("brak podpisu",)), "2026-01-26T10:00+01:00")
    monkeypatch.setenv("COOP_NOW", "2026-01-27T10:00+01:00")
    form = c.get(f"/portal/oferty/{code}/1/korekta")
    assert form.status_code == 200 and "statut.pdf" in form.text  # kept from version 1
    data = {"csrf": csrf_of(form.text), "intent": intent_of(form.text), "action": "submit",
            "attachment_kind": "other", **fields}
    done = c.post(f"/portal/oferty/{code}/1/korekta", data=data, files={"attachment_file": ("logo.png", PNG, "image/png")},
                  follow_redirects=False)
    assert done.status_code == 303, done.text
    content = c.get(f"/portal/oferty/{code}/1/tresc.json?wersja=2").json()
    assert [(a["kind"], a["name"]) for a in content["attachments"]] == [("statute", "statut.pdf"), ("other", "logo.png")]
    assert c.get(f"/portal/oferty/{code}/1/zalaczniki/2/2").content == PNG
    assert c.get(f"/portal/oferty/{code}/1/zalaczniki/1/1").content == STATUTE  # version 1's own, unchanged


def test_the_browser_door_shares_the_submission_rate_limit(portal, monkeypatch):  # noqa: F811
    url, code, c, krs = portal
    monkeypatch.setenv("COOP_PORTAL_SUBMISSIONS", "1")
    fields = flatten(sample_offer_form(KRS[0]))
    assert post(c, code, krs, new_offer_page(c, code, krs), fields, "submit").status_code == 303
    again = post(c, code, krs, new_offer_page(c, code, krs), fields, "submit")  # another page: another intent
    assert again.status_code == 422 and "Zbyt wiele zgłoszeń" in again.text
    from sqlmodel import select

    from models.tables import Offer
    from tests.test_open_call_guards import session

    with session(url) as s:
        assert len(s.exec(select(Offer)).all()) == 1


def test_the_json_door_attaches_in_base64_and_files_it_with_the_offer(db_url, monkeypatch, tmp_path):
    import base64
    import json

    from fastapi.testclient import TestClient

    from tests.test_open_call_guards import announced_call
    from web.app import create_app

    monkeypatch.setenv("COOP_NOW", AT)
    code = announced_call(db_url, orgs=3)
    _, token = person(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    _, other_token = person(db_url, "inna", "Ewa Inna", ("applicant", KRS[1]))
    door = TestClient(create_app(db_url), base_url="https://testserver")

    def send(path, body, bearer, **headers):
        return door.post(path, content=json.dumps(body), headers={"Authorization": f"Bearer {bearer}",
                                                                  "Content-Type": "application/json", **headers})

    upload = {"code": code, "organisation_krs": KRS[0], "kind": "statute", "name": "statut.pdf",
              "content_base64": base64.b64encode(STATUTE).decode()}
    before = dump(db_url)
    for body, bearer, status, rule in [
        ({**upload, "content_base64": base64.b64encode(PROGRAM).decode()}, token, 422, "attachment_type_not_allowed"),
        ({**upload, "content_base64": "nie base64!"}, token, 422, "attachment_base64"),
        ({**upload, "kind": "virus"}, token, 422, "invalid_input"),
        (upload, other_token, 403, "not_your_organisation"),
    ]:
        refused = send("/api/v1/oferty/zalaczniki", body, bearer)
        assert refused.status_code == status and refused.json()["rule"] == rule, refused.text
    assert dump(db_url)["offer_attachments"] == before["offer_attachments"] == []
    added = send("/api/v1/oferty/zalaczniki", upload, token)
    assert added.status_code == 201, added.text
    assert added.json()["sha256"] == hashlib.sha256(STATUTE).hexdigest()
    filed = send("/api/v1/oferty", {"code": code, "organisation_krs": KRS[0], "form": sample_offer_form(KRS[0])},
                 token, **{"Idempotency-Key": "k-1"})
    assert filed.status_code == 201, filed.text
    receipt = door.get(f"/api/v1/oferty/potwierdzenie?code={code}&number=1",
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert receipt["content"]["attachments"][0]["sha256"] == added.json()["sha256"]
    check = verify_receipt(tmp_path, receipt, STATUTE)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_limits_are_the_calls_rule_set_pinned_to_it(db_url):
    """Invariant 6: what a file may be is the city's policy, a versioned rule set pinned to the call. A call
    announced under a stricter one refuses by its numbers and says them; a call under Leszno's beside it keeps 5 MB, 10
    files, PDF, PNG and JPEG."""
    from states.procedures.open_call import inputs as open_call_inputs
    from states.rule_sets import LESZNO_2026, AttachmentRules
    from states.rulebook import store_rule_set
    from tests.test_open_call_guards import ANNOUNCED_AT, announcement, register

    strict = LESZNO_2026.model_copy(update={"version": "zalaczniki-2026", "attachments": AttachmentRules(
        max_megabytes=1, max_files=1, media_types=("application/pdf",))})
    execute(lambda ctx: store_rule_set(ctx.session, strict, ctx.now), actor=OFFICER_ACTOR, at=AT, url=db_url)
    register(db_url, 3)
    code = do(db_url, open_call_handlers.create_call, open_call_inputs.CreateOpenCall(
        title="Aktywność lokalna 2026", task_area="pożytek publiczny", budget="100000.00",
        rule_set="zalaczniki-2026"), "2026-01-02T08:30+01:00")["code"]
    do(db_url, open_call_handlers.announce_call, announcement(code), ANNOUNCED_AT)
    mine, _ = person(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))

    def attach(body, name="plik.pdf"):
        return execute(attach_file, AttachFile(code=code, organisation_krs=KRS[0], kind="other", name=name,
                                               content=body), actor=mine, url=db_url, at=AT)

    before = dump(db_url)
    refusals = []
    for body, name in ((PNG, "zdjęcie.png"), (STATUTE + b"0" * 1024 * 1024, "skan.pdf")):
        with pytest.raises(InvalidInput) as refused:
            attach(body, name)
        refusals.append(refused.value)
    assert refusals[0].rule == "attachment_type_not_allowed" and "tylko pliki PDF" in refusals[0].message()
    assert refusals[1].rule == "attachment_too_large" and "najwyżej 1 MB" in refusals[1].message()
    assert dump(db_url) == before
    attach(STATUTE)
    with pytest.raises(InvalidInput) as too_many:
        attach(STATUTE + b"%")
    assert too_many.value.rule == "attachment_too_many" and "najwyżej 1 " in too_many.value.message()
    limits = execute(draft_files, DraftFiles(code=code, organisation_krs=KRS[0]), actor=mine, url=db_url,
                     readonly=True)["limits"]
    assert (limits.max_megabytes, limits.max_files, limits.type_names, limits.accept) == (
        1, 1, "PDF", "application/pdf,.pdf")
    # Leszno's own call beside it keeps its numbers
    other = announced_call_under_leszno(db_url)
    assert execute(draft_files, DraftFiles(code=other, organisation_krs=KRS[0]), actor=mine, url=db_url,
                   readonly=True)["limits"] == LIMITS


def announced_call_under_leszno(url: str) -> str:
    from tests.test_open_call_guards import ANNOUNCED_AT, announcement, create

    code = create(url)
    do(url, open_call_handlers.announce_call, announcement(code), ANNOUNCED_AT)
    return code


def test_a_rule_set_stored_before_the_attachments_rules_existed_is_still_itself(db_url):
    """A version pinned before ``attachments`` was a field is stored without it: read, it has Leszno's defaults
    (what the constant said then), and pinning it again to a new call is not refused as a changed version."""
    import sqlalchemy as sa

    from models.db import get_engine, normalise_url
    from models.tables import RuleSetVersion
    from states.rule_sets import LESZNO_2026, AttachmentRules, RuleSet
    from states.rulebook import store_rule_set

    announced_call_under_leszno_with_register(db_url)
    table = RuleSetVersion.__table__
    with get_engine(normalise_url(db_url)).begin() as conn:  # as a database written before this change holds it
        body = conn.execute(sa.select(table.c.body).where(table.c.version == LESZNO_2026.version)).scalar_one()
        assert "attachments" in body
        older = {k: v for k, v in body.items() if k != "attachments"}
        conn.execute(table.update().where(table.c.version == LESZNO_2026.version).values(body=older))
    assert RuleSet.model_validate(older) == LESZNO_2026 and RuleSet.model_validate(older).attachments.max_megabytes == 5
    execute(lambda ctx: store_rule_set(ctx.session, LESZNO_2026, ctx.now), actor=OFFICER_ACTOR, at=AT, url=db_url)
    changed = LESZNO_2026.model_copy(update={"attachments": AttachmentRules(max_files=3)})
    with pytest.raises(RuleViolation) as refused:  # a version that really differs is still refused
        execute(lambda ctx: store_rule_set(ctx.session, changed, ctx.now), actor=OFFICER_ACTOR, at=AT, url=db_url)
    assert refused.value.rule == "rule_set_immutable"


def announced_call_under_leszno_with_register(url: str) -> str:
    from tests.test_open_call_guards import register

    register(url, 3)
    return announced_call_under_leszno(url)
