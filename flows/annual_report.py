"""The annual report on the cooperation programme (art. 5a ust. 3) as a Prefect flow with a markdown artifact.

The report is built by the domain (``states.auditing.annual_report``) in one read-only transaction; the
flow only runs it and shows it (invariant 2). Async, so the run does not wait for the heartbeat thread.
"""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact

from flows.doors import refuse_door_parameters
from states.actors import engine_principal
from states.auditing.annual_report import annual_report
from states.engine import execute

# The engine's own worker writes the report: proven by its database credentials, like the tick (states/actors.py).
REPORTER = engine_principal("sprawozdanie-roczne", "auditor")


def artifact_key(year: int) -> str:
    return f"sprawozdanie-z-programu-{year}"


@flow(name="coop-annual-report", flow_run_name="sprawozdanie {year}", persist_result=False)
async def annual_report_flow(year: int, at: str | None = None, database_url: str | None = None) -> str:
    """Build the report for ``year`` (as of ``at``, default now) and publish it as a markdown artifact."""
    refuse_door_parameters(at=at, database_url=database_url)
    result = execute(annual_report, year, actor=REPORTER, at=at, url=database_url, readonly=True)
    await acreate_markdown_artifact(key=artifact_key(year), markdown=result["markdown"],
                                    description=f"Sprawozdanie z realizacji programu współpracy za rok {year} "
                                                "(art. 5a ust. 3)")
    return result["markdown"]
