"""Each procedure declares, next to its commands' authorization (``access``), what each command does to its
machines (descriptor.py ``events``, ``reads``, ``off_case``): the desk's case page offers a command as a step
from that declaration alone (web/case_view.py), so a command missing from it, or an event its machines do not
know, would silently never be offered."""

from __future__ import annotations

import pytest

from states.procedures import PROCEDURES

pytestmark = pytest.mark.fast


def _machines(procedure) -> set[str]:
    """The classes of its machines: the cases' and offers' (``machines``) and those drawn (a regranting sub-call)."""
    return set(procedure.machines.values()) | {diagram.machine for diagram in procedure.diagrams}


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
