#!/usr/bin/env python3
"""The README's pictures of an organisation filing an offer (docs/images/portal-*.png), made again from scratch.

A fresh simulation database in a temporary folder gets one organisation of the registry, its representative (a
person with an ``applicant`` grant and a password) and an announced open call, on a fixed clock so the pictures do
not change with the day they are made; the application is served on 127.0.0.1 and the system's Chromium
(tests/browser.py) logs in as the representative, fills in the model form with the sample offer
(tests/offer_forms.py) and files it:

- ``portal-offer-form.png``: the top of the offer's form (the call, sections I and II);
- ``portal-receipt.png``: the receipt with its number, moment, SHA-256 and the PDF link.

    .venv/bin/python tools/portal_screenshots.py [--out docs/images] [--width 1280] [--lang pl]

Nothing outside the temporary folder is touched (the desk's key and the user data directory are made there).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = "2026-01-12T10:00+01:00"  # the call takes offers until 23 January 2026
PASSWORD = "demo-portal-2026"
KRS = "0000123456"


def build(folder: Path) -> tuple[str, str]:
    """A simulation database in ``folder`` with the organisation, its representative and an announced call;
    returns its URL and the call's code."""
    from pydantic import SecretStr

    from models.db import get_engine
    from models.settings import SIMULATION, initialise_clock
    from states.actors import Actor
    from states.cases import register_organisation
    from states.credentials import SetPassword, set_password
    from states.engine import execute
    from states.inputs import RegisterOrganisation
    from states.procedures.open_call import handlers as oc
    from states.procedures.open_call import inputs as oc_inputs
    from tests.people_fixtures import administrator, person

    url = f"sqlite:///{folder / 'portal-demo.db'}"
    initialise_clock(get_engine(url), SIMULATION)
    officer = Actor("Anna Urzędniczka", "officer")
    execute(register_organisation, RegisterOrganisation(
        name="Stowarzyszenie Pływackie Delfin", legal_form="stowarzyszenie", krs=KRS,
        address="ul. Wałowa 5, 64-100 Leszno", email="biuro@delfin.example.pl", contact_person="Anna Nowak"),
        actor=officer, at="2026-01-02T08:00+01:00", url=url)
    code = execute(oc.create_call, oc_inputs.CreateOpenCall(
        title="Sport i rekreacja dzieci 2027", task_area="wspieranie i upowszechnianie kultury fizycznej",
        budget=Decimal("120000.00")), actor=officer, at="2026-01-02T08:30+01:00", url=url)["code"]
    execute(oc.announce_call, oc_inputs.AnnounceCall(
        code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
        execution_end="2027-12-31", published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00",
                                               "website": "2026-01-02T11:00+01:00"}),
        actor=officer, at="2026-01-02T12:00+01:00", url=url)
    person(url, "anna.nowak", "Anna Nowak", ("applicant", KRS))
    admin, _ = administrator(url)
    execute(set_password, SetPassword(login="anna.nowak", password=SecretStr(PASSWORD)), actor=admin, url=url,
            keyed=False)
    return url, code


def main() -> None:
    from tools.screenshots import arguments, scratch, served_page, shoot

    args = arguments(__doc__)
    with scratch("portal-shots-", NOW, args.lang) as folder:
        from notifications.bootstrap import bootstrap

        bootstrap()
        url, _ = build(folder)

        from tests.offer_forms import sample_offer_form
        from tests.portal_pages import fill_form, flatten

        with served_page(url, args.width) as (page, base):
            page.goto(f"{base}/portal/logowanie?next=/portal/nabory&lang={args.lang}")
            page.fill("#login", "anna.nowak")
            page.fill("#password", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_url("**/portal/nabory")
            page.click("table.calls a.button")
            page.wait_for_url("**/portal/oferty/nowa/**")
            fill_form(page, flatten(sample_offer_form(KRS)))
            page.locator('[name="task.title"]').blur()
            shoot(page, args.out / "portal-offer-form.png", until="#f-offerors-0")
            page.click('button[value="submit"]')
            page.wait_for_url("**/pokwitowanie**")
            shoot(page, args.out / "portal-receipt.png", until="section[aria-labelledby=hash-heading]")


if __name__ == "__main__":
    main()
