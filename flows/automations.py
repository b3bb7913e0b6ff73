"""The engine's automations on its Prefect server, and the heartbeat they rely on.

The automations are declared in ``deploy/automations/*.yaml``, in the format of Prefect's own ``prefect
automation create --from-file`` (a list under ``automations:``), so an IT person reads and applies them without
the engine. ``ensure_automations`` makes the server at ``PREFECT_API_URL`` hold exactly those, by name: created
when missing, updated when they differ, left alone when equal (``coop prefect setup``; ``coop serve`` at start).

Heartbeats: Prefect 3.9.1 sends ``prefect.flow-run.heartbeat`` from each flow run's own process, on a thread of
the flow engine, every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` seconds (default 180, minimum 30;
``PREFECT_RUNNER_HEARTBEAT_FREQUENCY`` is an older name of the same setting). A runner (``serve``) or a worker
only passes the frequency to the processes it starts. The crash automation's window must hold several
heartbeats, so the engine's runs send one every ``HEARTBEAT_SECONDS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from states.errors import DomainError, InvalidInput
from states.text import Message, tr


class PrefectUnreachable(DomainError):
    exit_code = 75  # EX_TEMPFAIL, as for a database out of reach: nothing was changed, try again

# Prefect's minimum. The crash automation (deploy/automations/crash-dead-flow-runs.yaml) waits 90 s, three of
# them, before it declares a run dead; Prefect's default (180 s) would let it crash every run longer than 90 s.
HEARTBEAT_SECONDS = 30

AUTOMATIONS_DIR = Path(__file__).resolve().parents[1] / "deploy" / "automations"


def load_automations(directory: Path = AUTOMATIONS_DIR) -> list[dict[str, Any]]:
    """Every automation declared in the directory's ``*.yaml`` files, as plain data, in file order."""
    import yaml

    found: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.extend(data["automations"] if isinstance(data, dict) and "automations" in data else
                     data if isinstance(data, list) else [data])
    return found


def _comparable(value: Any) -> Any:
    """An automation as JSON without the ids the server or the model makes up (a trigger's own id), its sets of
    names (events expected, labels) in one order: a set's JSON order may differ between two equal sets."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in {"id", "created", "updated"}}
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return sorted(value)
        return [_comparable(v) for v in value]
    return value


def ensure_automations(automations: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
    """Make the Prefect server hold these automations (default: the repository's), matched by name.

    Returns one row per automation: its name, id and what was done (created, updated, unchanged). Several
    automations of one name (made by hand before) become one: the first is updated, the others deleted."""
    import os

    import httpx
    from prefect.events.schemas.automations import AutomationCore

    if not os.environ.get("PREFECT_API_URL", "").strip():
        # Without it Prefect would start a throw-away server of its own and set that one up.
        raise InvalidInput("prefect_api_url_missing",
                           tr("PREFECT_API_URL is not set: say which Prefect server to set up "
                              "(e.g. http://127.0.0.1:4200/api)."))
    wanted = [AutomationCore.model_validate(data) for data in
              (load_automations() if automations is None else automations)]
    try:
        return _ensure(wanted)
    except httpx.TransportError as error:
        raise PrefectUnreachable("prefect_unreachable", tr(
            "The Prefect server (PREFECT_API_URL) does not answer ({name}); run the command again when it does "
            "(setting up is safe to repeat).", name=type(error).__name__)) from error


def _ensure(wanted: list[Any]) -> list[dict[str, str]]:
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    done: list[dict[str, str]] = []
    with get_client(sync_client=True) as client:
        for automation in wanted:
            existing = client.read_automations_by_name(automation.name)
            if not existing:
                ident = client.create_automation(automation)
                done.append({"name": automation.name, "id": str(ident), "action": "created"})
                continue
            first, *duplicates = existing
            for duplicate in duplicates:
                client.delete_automation(duplicate.id)
            fields = set(AutomationCore.model_fields)
            same = (_comparable(first.model_dump(mode="json", include=fields))
                    == _comparable(automation.model_dump(mode="json", include=fields)))
            if not same:
                client.update_automation(first.id, automation)
            done.append({"name": automation.name, "id": str(first.id),
                         "action": "unchanged" if same and not duplicates else "updated"})
    return done


def setup_message(row: dict[str, str]) -> Message:
    """What ``coop prefect setup`` and ``coop serve`` say of one automation."""
    said = {"created": tr("Automation {name} created on the Prefect server", name=row["name"]),
            "updated": tr("Automation {name} updated on the Prefect server", name=row["name"]),
            "unchanged": tr("Automation {name} already up to date on the Prefect server", name=row["name"])}
    return said[row["action"]]
