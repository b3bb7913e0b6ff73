"""Each procedure declares, next to its commands' authorization (``access``), what each command does to its
machines (descriptor.py ``events``, ``reads``, ``off_case``): the desk's case page offers a command as a step
from that declaration alone (web/case_view.py), so a command missing from it, or an event its machines do not
know, would silently never be offered."""

from __future__ import annotations

import pytest

from states.procedures import PROCEDURES

pytestmark = pytest.mark.fast


def _machines(procedure) -> set[str]:
    """The classes of its machines: the cases' and offers' (``machines``), those drawn (a regranting sub-call) and
    its lenders' (``borrows``: a regranting operator's offer is an open call's)."""
    from states.procedures import procedure as named

    lent = {m for borrowed in procedure.borrows for m in named(borrowed.procedure).machines.values()}
    return set(procedure.machines.values()) | {diagram.machine for diagram in procedure.diagrams} | lent


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.slug)
def test_every_command_is_a_read_a_case_making_command_or_mapped_to_events(procedure):
    kinds = {"events": set(procedure.events), "reads": set(procedure.reads), "off_case": set(procedure.off_case)}
    for name, handlers in kinds.items():
        assert handlers <= set(procedure.access), (procedure.slug, name, sorted(handlers - set(procedure.access)))
    twice = [(a, b, kinds[a] & kinds[b]) for a in kinds for b in kinds if a < b and kinds[a] & kinds[b]]
    assert not twice, (procedure.slug, twice)
    undeclared = set(procedure.access) - set().union(*kinds.values())
    assert not undeclared, f"{procedure.slug}: commands neither read, off a case nor mapped to events: {undeclared}"
    for handler in procedure.access:  # each names a handler that exists
        assert callable(getattr(procedure.handlers, handler, None)), (procedure.slug, handler)


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.slug)
def test_every_declared_event_is_an_event_of_its_machines(procedure):
    own = _machines(procedure)
    for handler, events in procedure.events.items():
        assert events, (procedure.slug, handler, "no events")
        for machine_name, event in procedure.step_events(handler):
            assert machine_name in own, (procedure.slug, handler, machine_name)
            machine = procedure.machine_class(machine_name)
            assert machine.states_allowing(event), f"{procedure.slug}.{handler}: {machine_name} has no event {event}"


def test_a_misspelt_event_is_caught():
    from dataclasses import replace

    from states.procedures import procedure

    consultation = procedure("consultation")
    wrong = replace(consultation, events={**consultation.events, "adopt": ("adopted",)})
    with pytest.raises(AssertionError, match="no event adopted"):
        test_every_declared_event_is_an_event_of_its_machines(wrong)
    unmapped = replace(consultation, reads=())
    with pytest.raises(AssertionError, match="show"):
        test_every_command_is_a_read_a_case_making_command_or_mapped_to_events(unmapped)


@pytest.mark.parametrize("procedure", [p for p in PROCEDURES if p.borrows], ids=lambda p: p.slug)
def test_every_command_of_a_lender_is_borrowed_or_replaced(procedure):
    """A procedure that runs another's commands (``borrows``) decides each of the lender's commands: run as it is,
    or replaced by one of its own (``instead``); the lender runs the same machine on its cases."""
    from states.procedures import procedure as named
    from states.procedures import step_commands

    for borrowed in procedure.borrows:
        lender = named(borrowed.procedure)
        assert lender is not procedure
        assert lender.machines[lender.slug] == procedure.machines[procedure.slug], "the lender's events name its machine"
        commands, replaced = set(borrowed.commands), set(borrowed.instead)
        assert not commands & replaced, (procedure.slug, sorted(commands & replaced))
        assert commands | replaced == set(lender.access), (
            procedure.slug, "undecided", sorted(set(lender.access) - commands - replaced),
            "unknown", sorted((commands | replaced) - set(lender.access)))
        assert {i.command for i in borrowed.instead.values()} <= set(procedure.access), (procedure.slug, borrowed.instead)
        # a step's name is its address on the case page (/sprawy/{code}/krok/{name}): never two commands
        assert not commands & set(procedure.access), (procedure.slug, sorted(commands & set(procedure.access)))
        # each borrowed command is a step, a read or makes a case as the lender declares it
        steps = {name for owner, name in step_commands(procedure) if owner is lender}
        assert steps == commands & set(lender.events)
        assert commands - steps <= set(lender.reads) | set(lender.off_case)


def test_an_undecided_command_of_the_lender_is_caught():
    from dataclasses import replace

    from states.procedures import procedure

    regranting = procedure("regranting")
    borrowed = regranting.borrows[0]
    forgotten = replace(regranting, borrows=(replace(borrowed, commands=tuple(
        c for c in borrowed.commands if c != "sign_contract")),))
    with pytest.raises(AssertionError, match="sign_contract"):
        test_every_command_of_a_lender_is_borrowed_or_replaced(forgotten)
    twice = replace(regranting, borrows=(replace(borrowed, commands=(*borrowed.commands, "settle_offer")),))
    with pytest.raises(AssertionError, match="settle_offer"):
        test_every_command_of_a_lender_is_borrowed_or_replaced(twice)
