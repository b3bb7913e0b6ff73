"""Drafts of offers (states/offer_drafts.py): kept as typed, replaced by the next save, seen and changed only by the
organisation's own representatives; and the open calls accepting offers. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from models.offer_draft_tables import OfferDraft
from states.engine import execute
from states.errors import InvalidInput, NotPermitted
from states.offer_drafts import (
    DraftRef,
    OrganisationRef,
    SaveDraft,
    calls_accepting,
    discard_draft,
    drafts_of,
    open_calls,
    public_open_calls,
    read_draft,
    save_draft,
)
from tests.conftest import dump
from tests.people_fixtures import person
from tests.test_open_call_guards import KRS, announced_call, create, session

AT = "2026-01-10T10:00+01:00"  # the call of test_open_call_guards takes offers until 23 January


def org_id(url: str, krs: str) -> int:
    from sqlmodel import select

    from models.tables import Organisation

    with session(url) as s:
        return s.exec(select(Organisation.id).where(Organisation.krs == krs)).one()


@pytest.fixture
def world(db_url):
    code = announced_call(db_url, orgs=3)
    mine, _ = person(db_url, "delfin", "Anna Nowak", ("applicant", KRS[0]))
    other, _ = person(db_url, "inna", "Ewa Inna", ("applicant", KRS[1]))
    return db_url, code, mine, other, KRS[0]


def test_a_draft_is_kept_as_typed_and_replaced_by_the_next_save(world):
    url, code, mine, _, org = world
    typed = {"title": "Wakacje", "costs": [{"category": "", "total": "abc"}]}  # incomplete, even wrong: kept
    saved = execute(save_draft, SaveDraft(code=code, organisation_krs=org, content=typed), actor=mine, url=url, at=AT)
    assert saved["content"] == typed and saved["updated_by"] == "delfin"
    ref = DraftRef(code=code, organisation_krs=org)
    assert execute(read_draft, ref, actor=mine, url=url, readonly=True)["content"] == typed
    execute(save_draft, SaveDraft(code=code, organisation_krs=org, content={"title": "Lato"}), actor=mine, url=url,
            at="2026-01-11T10:00+01:00")
    again = execute(read_draft, ref, actor=mine, url=url, readonly=True)
    assert again["content"] == {"title": "Lato"} and again["updated_at"].isoformat().startswith("2026-01-11T09:00")
    listed = execute(drafts_of, OrganisationRef(organisation_krs=org), actor=mine, url=url, readonly=True)
    assert [(d["code"], d["offer_number"], d["title"]) for d in listed] == [(code, 0, "Aktywność lokalna 2026")]
    with session(url) as s:
        assert len(s.exec(OfferDraft.__table__.select()).all()) == 1  # one draft a purpose, replaced
    assert execute(discard_draft, ref, actor=mine, url=url)["discarded"] is True
    assert execute(read_draft, ref, actor=mine, url=url, readonly=True) is None


def test_another_organisations_representative_neither_sees_nor_changes_a_draft(world):
    url, code, mine, other, org = world
    execute(save_draft, SaveDraft(code=code, organisation_krs=org, content={"title": "Nasza"}), actor=mine, url=url,
            at=AT)
    before = dump(url)
    ref = DraftRef(code=code, organisation_krs=org)
    for handler, command in ((read_draft, ref), (discard_draft, ref), (drafts_of, OrganisationRef(organisation_krs=org)),
                             (save_draft, SaveDraft(code=code, organisation_krs=org, content={"title": "Cudza"}))):
        with pytest.raises(NotPermitted) as refused:
            execute(handler, command, actor=other, url=url, at=AT)
        assert refused.value.rule == "not_your_organisation"
    assert dump(url) == before
    officer, _ = person(url, "urzednik", "Anna Urzędniczka", "officer")  # a draft is not the office's either
    with pytest.raises(NotPermitted):
        execute(read_draft, ref, actor=officer, url=url, readonly=True)


def test_a_draft_is_for_an_open_call_and_of_a_bounded_size(world):
    url, _, mine, _, org = world
    other_kind = create(url)  # still a draft call: an open call all the same, so a draft may be kept
    execute(save_draft, SaveDraft(code=other_kind, organisation_krs=org, content={}), actor=mine, url=url, at=AT)
    with pytest.raises(Exception) as too_big:
        SaveDraft(code=other_kind, organisation_krs=org, content={"summary_text": "x" * 200_001})
    assert "200000" in str(too_big.value)
    with pytest.raises(InvalidInput):
        SaveDraft.parse(code="OK/2026/001", organisation_krs="12", content={})


def test_the_open_calls_accepting_offers_are_the_announced_ones_before_their_deadline(world):
    url, code, mine, _, _ = world
    create(url)  # not announced: not listed
    listed = execute(open_calls, None, actor=mine, url=url, readonly=True, at=AT)
    assert [c["code"] for c in listed] == [code]
    assert listed[0]["title"] == "Aktywność lokalna 2026" and str(listed[0]["budget"]) == "100000.00"
    assert execute(open_calls, None, actor=mine, url=url, readonly=True, at="2026-01-24T00:00+01:00") == []
    from datetime import datetime

    from models.db import run_in_transaction

    late = datetime.fromisoformat("2026-01-23T23:59:59+01:00")
    assert [c["code"] for c in run_in_transaction(lambda uow: calls_accepting(uow.session, late), url=url,
                                                  readonly=True)] == [code]


def test_a_reader_not_logged_in_sees_the_same_list(world, monkeypatch):
    url, code, *_ = world
    monkeypatch.setenv("COOP_NOW", AT)
    assert [c["code"] for c in public_open_calls(url=url)] == [code]
