"""A demo programme for a fresh served engine, so the Prefect UI is not empty: cases in different states.

It goes only into a new (empty) database, which it makes a simulation database (models/settings.py).

Made with the domain handlers only (no Prefect), on a clock relative to the real ``now`` so the live
tick and the forms act on them: one call settled (the whole 2026 scenario of ``flows.demo_scenario``), one whose
offer deadline passed a few days ago (the first tick closes it), one in formal review, one in the committee's
scoring, and one still receiving offers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from flows.demo_scenario import MEMBERS, OFFERS, OFFICER, ORGANISATIONS, run_open_call, write_demo_settings
from models.db import get_engine
from models.settings import SIMULATION, initialise_clock
from models.tables import Case
from states import calendar, inputs
from states.clock import resolve_now
from states.engine import execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.tick import tick


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _call(url: str | None, title: str, announced: datetime, offer_deadline: date, offers: int) -> str:
    def do(handler, command, when: datetime):
        return execute(handler, command, actor=OFFICER, at=_at(when), url=url)

    code = do(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title=title, task_area="pożytek publiczny", budget=Decimal("80000.00")),
              announced - timedelta(hours=4))["code"]
    year = calendar.local_date(announced).year + 1
    publish = {ch: _at(announced - timedelta(hours=3 - i)) for i, ch in enumerate(("bip", "board", "website"))}
    do(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline=offer_deadline, selection_date=offer_deadline + timedelta(days=21),
        execution_start=date(year, 1, 1), execution_end=date(year, 11, 30), published=publish), announced)
    for member in MEMBERS:
        do(open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=member), announced + timedelta(hours=1))
    for index, (offer_title, grant, _) in enumerate(OFFERS[:offers]):
        do(open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=ORGANISATIONS[index][2], title=offer_title,
                                      requested_grant=grant, own_funds=grant / 10, task_start=date(year, 3, 1),
                                      task_end=date(year, 6, 30)), announced + timedelta(days=2, hours=index))
    return code


def load_demo(url: str | None, now: datetime | None = None) -> dict[str, str]:
    """Load the demo programme; returns {role of the case in the demo: case code}.

    Its steps are dated days and months back: the database is made a simulation first (a real one is refused,
    untouched: ``models.settings.initialise_clock``)."""
    initialise_clock(get_engine(url), SIMULATION)
    write_demo_settings(url)  # the office's mailboxes: the demo's messages have somewhere to go
    now = now or resolve_now()
    today = calendar.local_date(now)
    cases = {"settled": run_open_call(url).code}
    cases["closes_at_first_tick"] = _call(url, "Kultura fizyczna i sport 2027", now - timedelta(days=35),
                                          today - timedelta(days=5), offers=3)
    review = _call(url, "Pomoc społeczna 2027", now - timedelta(days=40), today - timedelta(days=12), offers=3)
    tick(now - timedelta(days=6), url=url)  # deadlines falling on a day off move (KC art. 115): keep a margin
    execute(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=review, number=1, decision="accept"), actor=OFFICER,
            at=_at(now - timedelta(days=5)), url=url)
    cases["formal_review"] = review
    scoring = _call(url, "Ochrona i promocja zdrowia 2027", now - timedelta(days=45), today - timedelta(days=20),
                    offers=3)
    tick(now - timedelta(days=10), url=url)
    for number in (1, 2, 3):
        execute(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=scoring, number=number, decision="accept"), actor=OFFICER,
                at=_at(now - timedelta(days=9)), url=url)
    execute(open_call_handlers.finish_formal_review, inputs.CaseRef(code=scoring), actor=OFFICER, at=_at(now - timedelta(days=8)), url=url)
    cases["substantive_review"] = scoring
    cases["announced"] = _call(url, "Ekologia i ochrona zwierząt 2027", now - timedelta(days=15),
                               today + timedelta(days=10), offers=1)
    return cases


def is_empty(url: str | None) -> bool:
    """No case yet. Read outside ``execute``, which would make a new database real on its first use: the demo
    may still make it a simulation."""
    with get_engine(url).connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(Case)).scalar_one() == 0
