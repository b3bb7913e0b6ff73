"""A regranting operator driven through the real handlers to each stage the tests (and the benchmark data)
start from: selected by an open call, contracted, its sub-call's selection published."""

from __future__ import annotations

from decimal import Decimal

from states import commands as c
from states import open_call_commands as oc
from states import procedure_commands as pc
from states import regranting_commands as rg
from states.cases import register_organisation
from states.engine import Actor, execute
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
    do(url, register_organisation, c.RegisterOrganisation(name="Fundacja Centrum Inicjatyw Lokalnych", legal_form="fundacja",
                                                          krs=OPERATOR_KRS, address="ul. Wolności 1, 64-100 Leszno",
                                                          email="cil@example.org", contact_person="Prezes"),
       "2026-01-02T08:00+01:00")
    code = do(url, rg.create, pc.CreateRegranting(title="Mikrogranty Leszno 2026", task_area="aktywność lokalna",
                                                  budget=Decimal("50000.00")), "2026-01-02T08:30+01:00")["code"]
    do(url, oc.announce_call, c.AnnounceCall(
        code=code, offer_deadline="2026-01-23", selection_date="2026-02-13", execution_start="2026-03-01",
        execution_end="2026-11-30",
        published={"bip": "2026-01-02T09:00+01:00", "board": "2026-01-02T10:00+01:00", "website": "2026-01-02T11:00+01:00"}),
       "2026-01-02T12:00+01:00")
    for member in MEMBERS:
        do(url, oc.appoint_member, c.AppointMember(code=code, name=member), "2026-01-05T09:00+01:00")
    do(url, oc.file_offer, c.FileOffer(code=code, organisation_krs=OPERATOR_KRS, title="Operator mikrograntów",
                                       requested_grant=Decimal("50000.00"), task_start="2026-03-01",
                                       task_end="2026-11-25"), "2026-01-12T10:00+01:00")
    tick("2026-01-24T08:05+01:00", url=url)
    do(url, oc.review_offer, c.ReviewOffer(code=code, number=1, decision="accept"), "2026-01-26T10:00+01:00")
    do(url, oc.finish_formal_review, c.CaseRef(code=code), "2026-02-02T09:00+01:00")
    points = dict(zip(("capacity", "costs", "quality", "own_funds", "contribution", "track_record"),
                      map(Decimal, (9, 9, 9, 4, 4, 5)), strict=True))
    for member in MEMBERS:
        do(url, oc.declare_conflicts, c.DeclareConflicts(code=code, member=member), "2026-02-03T09:00+01:00",
           Actor(member, "committee_member"))
    for member in MEMBERS:
        do(url, oc.score_offer, c.ScoreOffer(code=code, number=1, member=member, points=points),
           "2026-02-05T09:00+01:00", Actor(member, "committee_member"))
    do(url, oc.select_offers, c.SelectOffers(code=code, grants={1: Decimal("50000.00")}, decision_ref="Zarządzenie 60/2026"),
       "2026-02-13T12:00+01:00")
    do(url, oc.publish, c.Publish(code=code, subject="results", published={
        "bip": "2026-02-16T09:00+01:00", "board": "2026-02-16T09:30+01:00", "website": "2026-02-16T10:00+01:00"}),
       "2026-02-16T10:30+01:00")
    return code


def contracted(url) -> str:
    code = operator_selected(url)
    do(url, oc.sign_contract, c.SignContract(code=code, number=1, contract_number="WSO.RG.1.2026",
                                             amount=Decimal("50000.00"), task_start="2026-03-01", task_end="2026-11-25"),
       "2026-02-27T10:00+01:00")
    return code


def selection_published(url) -> str:
    code = contracted(url)
    do(url, rg.announce_sub_call, pc.AnnounceSubCall(code=code, deadline="2026-03-16", published=OPERATOR_CHANNELS),
       "2026-03-02T10:30+01:00")
    do(url, rg.publish_selection, pc.PublishSubSelection(code=code, published=SELECTION_CHANNELS,
                                                         chosen=tuple(i[0] for i in IMPLEMENTERS)), "2026-03-20T10:30+01:00")
    return code


def micro(url, code, index, at, amount=None):
    name, address, scope, value = IMPLEMENTERS[index]
    return do(url, rg.add_micro_grant, pc.AddMicroGrant(code=code, implementer=name, address=address, scope=scope,
                                                        amount=amount or value, contract_number=f"CIL/{index + 1}/2026",
                                                        task_start="2026-05-01", task_end="2026-09-30"), at)
