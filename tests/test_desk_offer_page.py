"""The desk's page of one offer (web/desk_offers.py) through TestClient, on SQLite and PostgreSQL: the officer and
the call's committee member see what the organisation filed (section by section, the receipt, the versions and
their PDF); a member of another call's committee and another organisation's representative are refused; an offer
recorded from paper says it has no filed form; the case page links each offer's content."""

from __future__ import annotations

import re

import pytest

from tests.offer_forms import sample_offer_form
from tests.portal_pages import flatten
from tests.test_desk import client, log_in, with_password
from tests.test_open_call_guards import KRS, MEMBERS, close_offers, create, file
from tests.test_portal_offers import desk_key, new_offer_page, portal, post  # noqa: F401 (fixtures)


def desk(url: str, login: str):
    c = client(url)
    assert log_in(c, login).status_code == 303
    return c


@pytest.fixture
def filed(portal):  # noqa: F811
    """Offer 1 filed by its organisation on the model form through the portal, stating arrears with taxes
    („zalega(-ją)”, declaration 3) and none with social security; offer 2 recorded from paper."""
    url, code, c, org = portal
    form = sample_offer_form(KRS[0])
    form["declarations"]["no_tax_arrears"] = False
    page = new_offer_page(c, code, org)
    done = post(c, code, org, page, flatten(form), "submit")
    assert done.status_code == 303, done.text
    receipt = c.get(done.headers["location"]).text
    sha = re.search(r'<dd class="hash">([0-9a-f]{64})</dd>', receipt).group(1)
    assert file(url, code, 2) == 2
    return url, code, form, sha


def test_the_officer_sees_the_filed_content_its_receipt_and_pdf(filed):
    url, code, form, sha = filed
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    anna = desk(url, "anna")
    case = anna.get(f"/sprawy/{code}")
    assert case.status_code == 200
    assert f'href="/sprawy/{code}/oferty/1"' in case.text and "Treść oferty" in case.text
    page = anna.get(f"/sprawy/{code}/oferty/1")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"{code}/1-1" in text and sha in text  # the receipt: its number and hash
    assert "2026-01-12 10:00 (+01:00)" in text  # the moment of receipt, Warsaw time
    assert form["task"]["title"] in text  # what was filed
    assert form["offerors"][0]["name"] in text
    assert "Harmonogram" in text or "harmonogram" in text  # a section under the form's Polish label
    # declarations 3) and 4) as the offeror chose them, in the annex's words, for the committee to weigh
    assert re.search(r"Oświadczenie 3 \(zobowiązania podatkowe\)</dt><dd class=\"filed-value\">oferent / oferenci "
                     r"składający niniejszą ofertę zalega\(-ją\) z opłacaniem należności z tytułu zobowiązań "
                     r"podatkowych</dd>", text)
    assert re.search(r"Oświadczenie 4 \(składki na ubezpieczenia społeczne\)</dt><dd class=\"filed-value\">oferent "
                     r"/ oferenci składający niniejszą ofertę nie zalega\(-ją\) z opłacaniem należności z tytułu "
                     r"składek na ubezpieczenia społeczne</dd>", text)
    assert f"/sprawy/{code}/oferty/1/pdf?wersja=1" in text
    pdf = anna.get(f"/sprawy/{code}/oferty/1/pdf?wersja=1")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert anna.get(f"/sprawy/{code}/oferty/1?wersja=7").status_code == 404
    close_offers(url)  # formal review: its step's form links each offer's content
    review = anna.get(f"/sprawy/{code}").text
    form = review.split('id="step-review_offer"', 1)[1].split("</form>", 1)[0]
    assert "Przeczytaj, co złożono" in form and f'href="/sprawy/{code}/oferty/2"' in form


def test_a_paper_offer_says_it_has_no_filed_form(filed):
    url, code, _, _ = filed
    with_password(url, "anna", "Anna Urzędniczka", "officer")
    anna = desk(url, "anna")
    page = anna.get(f"/sprawy/{code}/oferty/2")
    assert page.status_code == 200 and "Nie złożono formularza" in page.text
    assert "SHA-256" not in page.text
    assert anna.get(f"/sprawy/{code}/oferty/2/pdf").status_code == 404
    assert anna.get(f"/sprawy/{code}/oferty/9").status_code == 404


def test_the_calls_committee_member_sees_it_and_another_calls_member_and_organisation_are_refused(filed):
    url, code, form, sha = filed
    other = create(url)
    with_password(url, "jan", MEMBERS[0], ("committee_member", code))
    with_password(url, "ewa", MEMBERS[1], ("committee_member", other))
    jan = desk(url, "jan")
    page = jan.get(f"/sprawy/{code}/oferty/1")
    assert page.status_code == 200 and sha in page.text and form["task"]["title"] in page.text
    assert jan.get(f"/sprawy/{code}/oferty/1/pdf").status_code == 200
    ewa = desk(url, "ewa")
    for path in (f"/sprawy/{code}/oferty/1", f"/sprawy/{code}/oferty/1/pdf"):
        refused = ewa.get(path)
        assert refused.status_code == 403 and sha not in refused.text
        assert "art. 15 ust. 2a" in refused.text
    # a representative of another organisation: not on the desk's list of readers of this offer
    inna = client(url)
    log_in(inna, "inna")
    for path in (f"/sprawy/{code}/oferty/1", f"/sprawy/{code}/oferty/1/pdf"):
        refused = inna.get(path, follow_redirects=False)
        assert refused.status_code in (303, 403) and sha not in refused.text
        assert form["task"]["title"] not in refused.text
