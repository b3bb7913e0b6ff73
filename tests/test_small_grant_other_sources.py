"""A small grant's "other sources" (the simplified form's section IV, Dz.U. 2018 poz. 2055 zał. 1; issue 22): kept
on the offer row apart from the own contribution (migration 0026), filled when the form is filed, none stated for an
offer recorded from paper, shown where the officer reads the offer (the desk's case page and offer page, ``coop
grant show``), and filled by the migration from the filed content of the offers filed before it. SQLite and
PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from models.db import SCHEMA_REVISION, current_revision, upgrade
from models.procedures.small_grant import SmallGrantOffer
from states.engine import execute
from states.inputs import CaseRef
from states.offer_filings import other_sources_of
from states.procedures.small_grant import handlers
from states.procedures.small_grant import inputs as sg_inputs
from tests.conftest import unused_database
from tests.test_desk import client, log_in, with_password
from tests.test_migrations_data import alembic_config
from tests.test_open_call_guards import session
from tests.test_small_grant import KRS, OTHER_KRS, do, setup_registry
from tests.test_small_grant_form import FILED_AT, file, registry  # noqa: F401 (fixture)


def paper_offer(url: str) -> dict:
    return do(url, handlers.file_offer, sg_inputs.FileSmallGrant(
        organisation_krs=OTHER_KRS, title="Sprzątanie parku", requested_grant=Decimal("3000.00"),
        own_contribution=Decimal("250.00"), task_start="2026-05-04", task_end="2026-05-30"), "2026-04-01T11:00+02:00")


def test_filing_the_form_keeps_the_other_sources_apart_from_the_own_contribution(registry):  # noqa: F811
    url, people = registry
    filed = file(url, people["rep"])
    paper = paper_offer(url)
    with session(url) as s:
        offers = {o.case_id: o for o in s.exec(select(SmallGrantOffer))}
        by_code = {code: next(o for o in offers.values() if o.title == title)
                   for code, title in ((filed["code"], "Wakacje z nauką pływania"),
                                       (paper["code"], "Sprzątanie parku"))}
        on_form, on_paper = by_code[filed["code"]], by_code[paper["code"]]
        # section IV: 700 zł of rent and 1 200 zł of volunteers' work from other sources; no own contribution stated
        assert (on_form.own_contribution, other_sources_of(s, on_form)) == (Decimal("0.00"), Decimal("1900.00"))
        # the officer's paper offer: the own contribution she typed, no other sources stated
        assert (on_paper.own_contribution, other_sources_of(s, on_paper)) == (Decimal("250.00"), None)
    shown = execute(handlers.show, CaseRef(code=filed["code"]), actor=people["officer"], url=url, readonly=True)
    assert (shown["own_contribution"], shown["other_sources"]) == (Decimal("0.00"), Decimal("1900.00"))
    shown = execute(handlers.show, CaseRef(code=paper["code"]), actor=people["officer"], url=url, readonly=True)
    assert (shown["own_contribution"], shown["other_sources"]) == (Decimal("250.00"), None)


def test_the_desk_shows_the_other_sources_beside_the_own_contribution(registry):  # noqa: F811
    url, people = registry
    filed = file(url, people["rep"])
    paper = paper_offer(url)
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    anna = client(url)
    assert log_in(anna, "anna").status_code == 303
    case = anna.get(f"/sprawy/{filed['code']}").text
    facts = case.split('class="case-facts"', 1)[-1] if 'class="case-facts"' in case else case
    assert "Wkład własny" in facts and "Inne źródła (część IV uproszczonej oferty)" in facts
    assert "1 900,00 zł" in facts and "9 500,00 zł" in facts
    offer = anna.get(f"/sprawy/{filed['code']}/oferty/1")
    assert offer.status_code == 200
    terms = offer.text.split('id="terms-heading"', 1)[1].split("</section>", 1)[0]
    assert "Wkład własny" in terms and "0,00 zł" in terms and "1 900,00 zł" in terms
    on_paper = anna.get(f"/sprawy/{paper['code']}").text
    assert "250,00 zł" in on_paper and "nie podano (oferta przyjęta na papierze)" in on_paper
    english = anna.get(f"/sprawy/{filed['code']}/oferty/1?lang=en").text
    assert "Other sources (section IV of the simplified offer)" in english


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    with unused_database(request.param, tmp_path, "coop_other_sources") as url:
        yield url


def test_the_migration_fills_the_other_sources_from_the_filed_content(fresh_url, monkeypatch):
    """Offers filed before 0026: downgraded to 0025 (the column gone), upgraded again, each filed offer has its
    other sources back from the content its receipt proves; an offer recorded from paper has none."""
    from tests.people_fixtures import person

    engine = sa.create_engine(fresh_url)
    try:
        upgrade(engine)
        setup_registry(fresh_url)
        rep, _ = person(fresh_url, "rep", "Reprezentantka Roweru", ("applicant", KRS))
        filed = file(fresh_url, rep)
        paper_offer(fresh_url)
        config = alembic_config(engine)
        with engine.connect() as conn:  # SQLite copies the table: its references checked after, as models/db.py does
            raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=OFF")
            with conn.begin():
                config.attributes["connection"] = conn
                command.downgrade(config, "0025")
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
        assert current_revision(engine) == "0025"
        assert "other_sources" not in {c["name"] for c in sa.inspect(engine).get_columns("small_grant_offers")}
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_REVISION
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text(
                "SELECT c.code, o.other_sources FROM small_grant_offers o JOIN cases c ON c.id = o.case_id")).all())
        assert rows == {filed["code"]: 190000, "MG/2026/002": None}  # hundredths of a złoty; none on paper
    finally:
        engine.dispose()

