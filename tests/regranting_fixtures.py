"""A regranting operator driven through the real handlers to each stage the tests (and the benchmark data)
start from: selected by an open call, contracted, its sub-call's selection published."""

from __future__ import annotations

from decimal import Decimal

from states import inputs
from states.cases import register_organisation
from states.engine import Actor, execute
from states.procedures.open_call import handlers as open_call_handlers
from states.procedures.open_call import inputs as open_call_inputs
from states.procedures.regranting import handlers as regranting_handlers
from states.procedures.regranting import inputs as regranting_inputs
from states.tick import tick

OFFICER = Actor("Anna Urzędniczka", "officer")
OPERATOR_KRS = "0000500001"
MEMBERS = ("Jan Kowalski", "Ewa Nowak")
IMPLEMENTERS = (("Koło Gospodyń Wiejskich Gronówko", "Gronówko 5, 64-100 Leszno", "Warsztaty kulinarne dla seniorów",
                 Decimal("5000.00")),
                ("Grupa nieformalna Młodzi Leszno", "ul. Narutowicza 10, 64-100 Leszno", "Turniej e-sportowy",
                 Decimal("4000.00")))
OPERATOR_CHANNELS = {"operator_website": "2026-03-02T09:00+01:00", "bip": "2026-03-02T10:00+01:00"}
SELECTION_CHANNELS = {"operator_website": "2026-03-20T09:00+01:00", "bip": "2026-03-20T10:00+01:00"}


def do(url, handler, command, at, actor=OFFICER):
    return execute(handler, command, actor=actor, at=at, url=url)


def operator_selected(url) -> str:
    """The ordinary open call (the backbone's machines and handlers) that selects the operator."""
    do(url, register_organisation, inputs.RegisterOrganisation(name="Fundacja Centrum Inicjatyw Lokalnych", legal_form="fundacja",
                                                          krs=OPERATOR_KRS, address="ul. Wolności 1, 64-100 Leszno",
                                                          email="cil@example.org", contact_person="Prezes"),
       "2026-01-02T08:00+01:00")
    code = do(url, regranting_handlers.create, regranting_inputs.CreateRegranting(title="Mikrogranty Leszno 2026", task_area="aktywność lokalna",
                                                  budget=Decimal("50000.00")), "2026-01-02T08:30+01:00")["code"]
    do(url, open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
        execution_end="2026-11-30",
        published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00", "website": "2026-01-02T11:00+01:00"}),
       "2026-01-02T12:00+01:00")
    for member in MEMBERS:
        do(url, open_call_handlers.appoint_member, open_call_inputs.AppointMember(code=code, name=member), "2026-01-05T09:00+01:00")
    do(url, open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=OPERATOR_KRS, title="Operator mikrograntów",
                                       requested_grant=Decimal("50000.00"), task_start="2026-03-01",
                                       task_end="2026-11-25"), "2026-01-12T10:00+01:00")
    tick("2026-01-24T08:05+01:00", url=url)
    do(url, open_call_handlers.review_offer, open_call_inputs.ReviewOffer(code=code, number=1, decision="accept"), "2026-01-26T10:00+01:00")
    do(url, open_call_handlers.finish_formal_review, inputs.CaseRef(code=code), "2026-02-02T09:00+01:00")
    points = dict(zip(("capacity", "costs", "quality", "own_funds", "contribution", "track_record"),
                      map(Decimal, (9, 9, 9, 4, 4, 5)), strict=True))
    for member in MEMBERS:
        do(url, open_call_handlers.declare_conflicts, open_call_inputs.DeclareConflicts(code=code, member=member), "2026-02-03T09:00+01:00",
           Actor(member, "committee_member"))
    for member in MEMBERS:
        do(url, open_call_handlers.score_offer, open_call_inputs.ScoreOffer(code=code, number=1, member=member, points=points),
           "2026-02-05T09:00+01:00", Actor(member, "committee_member"))
    do(url, open_call_handlers.select_offers, open_call_inputs.SelectOffers(code=code, grants={1: Decimal("50000.00")}, decision_ref="Zarządzenie 60/2026"),
       "2026-02-13T12:00+01:00")
    do(url, open_call_handlers.publish, open_call_inputs.Publish(code=code, subject="results", published={
        "bip": "2026-02-16T09:00+01:00", "board": "2026-02-16T09:30+01:00", "website": "2026-02-16T10:00+01:00"}),
       "2026-02-16T10:30+01:00")
    return code


def contracted(url) -> str:
    code = operator_selected(url)
    do(url, open_call_handlers.sign_contract, open_call_inputs.SignContract(code=code, number=1, contract_number="WSO.RG.1.2026",
                                             amount=Decimal("50000.00"), task_start="2026-03-01", task_end="2026-11-25"),
       "2026-02-27T10:00+01:00")
    return code


def selection_published(url) -> str:
    code = contracted(url)
    do(url, regranting_handlers.announce_sub_call, regranting_inputs.AnnounceSubCall(code=code, deadline="2026-03-16", published=OPERATOR_CHANNELS),
       "2026-03-02T10:30+01:00")
    do(url, regranting_handlers.publish_selection, regranting_inputs.PublishSubSelection(code=code, published=SELECTION_CHANNELS,
                                                         chosen=tuple(i[0] for i in IMPLEMENTERS)), "2026-03-20T10:30+01:00")
    return code


def micro(url, code, index, at, amount=None):
    name, address, scope, value = IMPLEMENTERS[index]
    return do(url, regranting_handlers.add_micro_grant, regranting_inputs.AddMicroGrant(code=code, implementer=name, address=address, scope=scope,
                                                        amount=amount or value, contract_number=f"CIL/{index + 1}/2026",
                                                        task_start="2026-05-01", task_end="2026-09-30"), at)
