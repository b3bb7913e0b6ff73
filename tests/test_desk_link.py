"""The desk's address that the Prefect forms send people to (kernel/desk_link.py): COOP_DESK_URL, else the
desk's default on this machine; a case code's slashes stay the path's."""

import pytest

from kernel.desk_link import DEFAULT_URL, DESK_PORT, case_page_url, desk_url

pytestmark = pytest.mark.fast


def test_the_desks_address_is_configured_or_its_default():
    assert desk_url({}) == DEFAULT_URL == f"http://127.0.0.1:{DESK_PORT}" == "http://127.0.0.1:4210"
    assert desk_url({"COOP_DESK_URL": " https://biurko.leszno.pl/ "}) == "https://biurko.leszno.pl"
    assert case_page_url("OK/2026/001", {}) == "http://127.0.0.1:4210/sprawy/OK/2026/001"
    assert case_page_url("RG/2026/002", {"COOP_DESK_URL": "https://biurko.leszno.pl/desk"}) == \
        "https://biurko.leszno.pl/desk/sprawy/RG/2026/002"
    assert case_page_url("OK/2026/0 1", {}).endswith("/sprawy/OK/2026/0%201")  # never a raw space in a link
