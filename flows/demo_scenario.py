"""A whole open call on a simulation database (any moment may be claimed): the README's demo and the backbone's end-to-end scenario.

Leszno, 2026: a call announced on Friday 2 January (the earliest lawful offer deadline is 23 January),
six offers (one rejected for formal defects, one corrected, one scoring below the threshold), one offer
arriving late and refused, a committee member declaring a conflict, an NGO nominee on the committee,
contracts, reports (one overdue), settlement (one return of unused funds late).

Run by ``coop demo`` (coop/demo.py), by the flows' demo programme (flows/demo_programme.py) and by many tests. It
drives the domain only and imports no prefect: it sits in flows/ so that both doors can import it (the CLI is
the layer above the flows, docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from states import inputs
from states.cases import register_organisation
from states.engine import Actor, execute
from states.errors import DomainError
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.tick import tick

OFFICER = Actor("Anna Urzędniczka", "officer")
# The demo office's settings, written in the demo database as an officer would (`coop settings set`): every
# worker of a served demo reads them there. The SMTP server stays the default (localhost:25).
DEMO_SETTINGS = {"officers-email": "ngo@um.leszno.example", "rdpp-email": "rdpp@um.leszno.example"}


def write_demo_settings(url: str | None) -> None:
    from notifications.setting_handlers import SetSettings, set_settings

    execute(set_settings, SetSettings(values=DEMO_SETTINGS, reason="demo"), actor=OFFICER, url=url)
MEMBERS = ("Jan Kowalski", "Ewa Nowak", "Piotr Wiśniewski")
NGO_MEMBER = "Maria Zielińska"
ORGANISATIONS = [
    ("Stowarzyszenie Przyjaciół Leszna", "stowarzyszenie", "0000100001"),
    ("Fundacja Zdrowy Senior", "fundacja", "0000100002"),
    ("Klub Sportowy Polonia Leszno", "stowarzyszenie kultury fizycznej", "0000100003"),
    ("Fundacja Kultury Wielkopolskiej", "fundacja", "0000100004"),
    ("Stowarzyszenie Młodzi Razem", "stowarzyszenie", "0000100005"),
    ("Fundacja Ekologiczna Zielone Leszno", "fundacja", "0000100006"),
    ("Leszczyńska Rada Organizacji", "stowarzyszenie", "0000100007"),  # nominates a committee member
]
# requested grant, and each member's points (capacity, costs, quality, own_funds, contribution, track_record)
OFFERS = [
    ("Festyn rodzinny na Zatorzu", Decimal("30000.00"), (9, 8, 9, 4, 4, 5)),
    ("Aktywny senior 2026", Decimal("25000.00"), (8, 8, 8, 3, 4, 4)),
    ("Liga orlika dla dzieci", Decimal("40000.00"), (7, 7, 8, 3, 3, 4)),
    ("Warsztaty teatralne", Decimal("20000.00"), (3, 3, 3, 1, 1, 2)),
    ("Obóz integracyjny", Decimal("15000.00"), None),  # rejected for formal defects
    ("Sprzątanie lasu komunalnego", Decimal("12000.00"), (8, 9, 7, 4, 5, 5)),
]


# Where the scenario may stop (``run_open_call(until=...)``), in order: each a state of the call and its offers
# worth looking at on its own (the ranking in every state after scoring, for one).
MILESTONES = ("scored", "selected", "results_published", "contracted", "reports_due", "report_overdue",
              "reports_accepted", "settled")


@dataclass
class ScenarioResult:
    code: str
    refusals: list[str] = field(default_factory=list)


def run_open_call(url: str | None, offers: int = 6, until: str = "settled") -> ScenarioResult:
    """The scenario from an empty registry to the call ``until`` one of ``MILESTONES`` (settled: the whole)."""
    if until not in MILESTONES:
        raise ValueError(f"until must be one of {MILESTONES}, not {until!r}")

    def do(handler, command=None, when=None, actor=OFFICER):
        return execute(handler, command, actor=actor, at=when, url=url)

    result = ScenarioResult(code="")
    for name, form, krs in ORGANISATIONS:
        do(register_organisation, inputs.RegisterOrganisation(name=name, legal_form=form, krs=krs, address="Leszno",
                                                         email=f"biuro{krs[-2:]}@example.org", contact_person="Prezes"),
           "2026-01-02T08:00+01:00")
    code = do(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title="Wspieranie aktywności lokalnej 2026", task_area="działalność "
              "na rzecz organizacji pozarządowych", budget=Decimal("100000.00")), "2026-01-02T08:30+01:00")["code"]
    result.code = code
    do(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
        execution_end="2026-11-30", grant_rules="Dotacja do 100% kosztów; wkład własny mile widziany.",
        prior_funding="2025: 3 zadania, 90 000,00 zł",
        published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00", "website": "2026-01-02T11:00+01:00"}),
       "2026-01-02T12:00+01:00")
    for member in MEMBERS:
        do(open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=member, email="komisja@leszno.example"), "2026-01-05T09:00+01:00")
    do(open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=NGO_MEMBER, affiliation="ngo", organisation_krs="0000100007"),
       "2026-01-05T09:10+01:00")

    chosen = OFFERS[:offers]
    for index, (title, grant, _) in enumerate(chosen):
        do(open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=ORGANISATIONS[index][2], title=title,
                                      requested_grant=grant, own_funds=grant / 10, volunteer_work=Decimal("2000.00"),
                                      task_start="2026-04-01", task_end="2026-06-30"),
           f"2026-01-{12 + index:02d}T10:00+01:00")
    try:  # arrives the day after the deadline: refused (art. 13 ust. 2 pkt 5)
        do(open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs="0000100001", title="Spóźniona oferta",
                                      requested_grant=Decimal("5000.00"), task_start="2026-04-01",
                                      task_end="2026-05-31"), "2026-01-24T08:00+01:00")
    except DomainError as refusal:
        result.refusals.append(refusal.message())

    tick("2026-01-24T08:05+01:00", url=url)  # the offer deadline passed: formal review
    for number, (_, _, points) in enumerate(chosen, start=1):
        if points is None:
            do(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="reject",
                                              defects=("brak podpisu osoby upoważnionej", "brak kosztorysu")),
               "2026-01-26T10:00+01:00")
        elif number == len(chosen):
            do(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="correct",
                                              defects=("brak aktualnego odpisu z KRS",)), "2026-01-26T10:00+01:00")
            do(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="accept"), "2026-01-29T10:00+01:00")
        else:
            do(open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=number, decision="accept"), "2026-01-26T10:00+01:00")
    do(open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")

    # The NGO nominee's organisation filed no offer, so she sits; Ewa Nowak is in conflict with offer 2.
    for member in (*MEMBERS, NGO_MEMBER):
        conflicts = (2,) if member == "Ewa Nowak" and len(chosen) >= 2 else ()
        do(open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=member, conflicts=conflicts),
           "2026-02-03T09:00+01:00", Actor(member, "committee_member"))
    try:
        do(open_call_handlers.score_offer, open_call_inputs.ScoreOffer(code=code, number=2, member="Ewa Nowak", points={}),
           "2026-02-04T09:00+01:00", Actor("Ewa Nowak", "committee_member"))
    except DomainError as refusal:
        result.refusals.append(refusal.message())
    keys = ("capacity", "costs", "quality", "own_funds", "contribution", "track_record")
    for number, (_, _, points) in enumerate(chosen, start=1):
        if points is None:
            continue
        for member in (*MEMBERS, NGO_MEMBER):
            if member == "Ewa Nowak" and number == 2:
                continue
            do(open_call_handlers.score_offer, open_call_inputs.ScoreOffer(code=code, number=number, member=member,
                                            points=dict(zip(keys, map(Decimal, points), strict=True))),
               "2026-02-05T09:00+01:00", Actor(member, "committee_member"))
    if until == "scored":
        return result

    proposal = execute(open_call_handlers.show_ranking, inputs.CaseRef(code=code), actor=OFFICER, at="2026-02-10T09:00+01:00", url=url,
                       readonly=True)["proposal"]
    do(open_call_handlers.select_offers, open_call_inputs.SelectOffers(code=code, grants=proposal, decision_ref="Zarządzenie nr 45/2026 Prezydenta "
                                         "Miasta Leszna"), "2026-02-13T12:00+01:00")
    if until == "selected":
        return result
    do(open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="results", published={
        "bip": "2026-02-16T09:00+01:00", "board": "2026-02-16T09:30+01:00", "website": "2026-02-16T10:00+01:00"}),
       "2026-02-16T10:30+01:00")
    if until == "results_published":
        return result

    for position, (number, amount) in enumerate(sorted(proposal.items())):
        do(open_call_handlers.sign_contract, open_call_inputs.SignContract(code=code, number=number, contract_number=f"WZ.526.{number}.2026",
                                            amount=amount, task_start="2026-04-01", task_end="2026-06-30"),
           f"2026-03-0{2 + position}T10:00+01:00")
    if until == "contracted":
        return result
    tick("2026-07-01T06:00+02:00", url=url)  # tasks ended: reports due by 30 July (art. 18 ust. 1)
    if until == "reports_due":
        return result
    numbers = sorted(proposal)
    late_reporter = numbers[-1]
    for number in numbers[:-1]:
        used = proposal[number] if number != numbers[0] else proposal[number] - Decimal("1500.00")
        do(open_call_handlers.submit_report, open_call_inputs.SubmitReport(code=code, number=number, funds_used=used,
                                            summary="Zadanie zrealizowane zgodnie z umową."), "2026-07-20T10:00+02:00")
    tick("2026-07-31T06:00+02:00", url=url)  # one report overdue: the contract's written call
    if until == "report_overdue":
        return result
    do(open_call_handlers.submit_report, open_call_inputs.SubmitReport(code=code, number=late_reporter, funds_used=proposal[late_reporter]),
       "2026-08-04T10:00+02:00")
    for number in numbers:
        do(open_call_handlers.review_report, open_call_inputs.ReviewReport(code=code, number=number, accept=True), "2026-08-10T10:00+02:00")
    if until == "reports_accepted":
        return result
    for number in numbers:
        if number == numbers[0]:  # 1 500,00 zł unused: usable to 14 July, due back by 29 July; returned late
            do(open_call_handlers.settle_offer, open_call_inputs.Settle(code=code, number=number, returned_amount=Decimal("1500.00"),
                                         returned_on="2026-08-05"), "2026-08-12T10:00+02:00")
        else:
            do(open_call_handlers.settle_offer, open_call_inputs.Settle(code=code, number=number), "2026-08-12T10:00+02:00")
    return result
