"""The auditor's commands: they only read; nothing in them can change a case.

Every handler here runs in a read-only unit of work (``readonly=True``) and admits the auditor's role.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer

from coop.cli import _invocation, command, group, run, show
from coop.core_cli import audit_app, report_app
from states.text import tr

open_data_app = group("open-data", "Open data (CSV, JSON).")

Code = Annotated[str, typer.Argument(help="Case code, e.g. OK/2026/001.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(str(tr("written {output}", output=output)), err=True)


anchor_key_app = group("anchor-key", "The key that signs the daily anchors of the history.", parent=audit_app)


@command(audit_app, "verify")
def audit_verify(
    code: Annotated[str | None, typer.Argument(help="A case code; every case when omitted.")] = None,
    anchors: Annotated[Path | None, typer.Option(
        "--anchors", help="Also check every chain against the signed daily anchors in this folder.")] = None,
    public_key: Annotated[list[Path] | None, typer.Option(
        "--public-key", help="The anchors' public key (PEM) as the city published it; repeatable.")] = None,
    fingerprint: Annotated[list[str] | None, typer.Option(
        "--fingerprint", help="Or its SHA-256 fingerprint (hex); repeatable.")] = None,
) -> None:
    """Recompute the hash chains; exit 1 naming the first broken record (and, with --anchors, every case whose
    history no longer matches a head anchored before, and every anchor file that is forged or altered)."""
    from states.queries import verify_cases

    pin = None
    if anchors is not None:
        from states.anchors import Pin

        pin = Pin.of(public_key or [], fingerprint or [])  # before reading anything: exit 2 without a pinned key
    elif public_key or fingerprint:
        from states.errors import InvalidInput

        raise InvalidInput("anchors_missing", tr("--public-key and --fingerprint go with --anchors DIR."))
    result = run(verify_cases, code, readonly=True)
    if pin is not None:
        from states.anchors import missing_days, read_anchors, verify_anchored

        good, bad = read_anchors(anchors, pin)
        anchored = run(verify_anchored, (good, code), readonly=True)
        result = {**result, "broken": result["broken"] + anchored,
                  "anchors": {"verified": len(good), "first": good[0]["date"] if good else None,
                              "last": good[-1]["date"] if good else None, "missing_days": missing_days(good)},
                  "bad_anchors": bad}
    show(result)
    if result["broken"] or result.get("bad_anchors"):
        raise typer.Exit(1)


@command(anchor_key_app, "init")
def anchor_key_init(key_file: Annotated[Path | None, typer.Option(
        "--key-file", help="Where to keep the private key (default: COOP_ANCHOR_KEY, else anchor-key.pem in the "
                           "user data directory).")] = None) -> None:
    """Make the key that signs the daily anchors; prints only the public key's file and fingerprint."""
    from states.anchors import init_key

    made = init_key(key_file)
    show(made)
    typer.echo(str(tr("Publish the public key (or its fingerprint) where auditors take it from the city; keep the "
                      "private key file on the workers only, readable by their user alone.")), err=True)


@command(audit_app, "history")
def audit_history(
    code: Code,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD) or moment (ISO 8601 with offset).")] = None,
    until: Annotated[str | None, typer.Option(help="To the end of this day, or to this moment.")] = None,
    actor_name: Annotated[str | None, typer.Option("--by", help="Only records made by this actor.")] = None,
    event: Annotated[str | None, typer.Option(help="Only records of this event, e.g. score.")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Output CSV (UTF-8).")] = False,
) -> None:
    """The full history of a case, nested cases included (regranting), oldest first."""
    from states.auditing.history import CSV_COLUMNS, HistoryQuery, case_history_tree
    from states.local_time import moment_iso

    rows = run(case_history_tree, HistoryQuery.parse(code=code, since=since, until=until, actor=actor_name, event=event),
               readonly=True)
    if as_csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "at": moment_iso(row["at"]),
                             "payload": json.dumps(row["payload"], ensure_ascii=False, sort_keys=True)})
        _emit(buffer.getvalue(), None)
        return
    show(rows, ["case", "seq", "at", "actor", "role", "event", "subject", "from", "to", "basis"])


@command(audit_app, "export")
def audit_export(code: Code, output: Output = None) -> None:
    """Export the case's hash chains (nested cases included) for tools/verify_chain.py."""
    from states.auditing.history import export_history

    export = run(export_history, code, readonly=True)
    _emit(json.dumps(export, ensure_ascii=False, indent=1) + "\n", output)


@command(audit_app, "export-people")
def audit_export_people(output: Output = None) -> None:
    """Export the people chain (grants, revocations, tokens issued) for tools/verify_chain.py."""
    from states.people import export_people_chain

    export = run(export_people_chain, readonly=True)
    _emit(json.dumps(export, ensure_ascii=False, indent=1) + "\n", output)


def _evidence(finding: dict) -> str:
    return ", ".join(f"{e['case']}#{e['seq']} {e['event']} ({e['hash'][:12]})" for e in finding["evidence"])


@command(audit_app, "check")
def audit_check(
    code: Annotated[str | None, typer.Argument(help="A case code (nested cases included).")] = None,
    year: Annotated[int | None, typer.Option(help="Every case opened in this year.")] = None,
    export_file: Annotated[Path | None, typer.Option("--file", help="Check an exported history instead.")] = None,
) -> None:
    """Replay recorded histories against the statute; list findings with article and evidence; exit 1 if any."""
    from states.auditing.compliance import check_case, check_export, check_export_times, check_year
    from states.errors import InvalidInput

    chosen = [x for x in (code, year, export_file) if x is not None]
    if len(chosen) != 1:
        raise InvalidInput("check_what", tr("Give exactly one of: a case code, --year or --file"))
    if export_file is not None:
        try:
            export = json.loads(export_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidInput("bad_export", tr("Cannot read {export_file}: {error}", export_file=export_file, error=error)) from None
        result = {"file": str(export_file), "findings": [f.as_dict() for f in check_export(export)],
                  **check_export_times(export)}
    elif year is not None:
        result = run(check_year, year, readonly=True)
    else:
        result = run(check_case, code, readonly=True)
    if _invocation.get().json:
        show(result)
    else:
        scope = {k: v for k, v in result.items() if k not in ("findings", "rules", "cases", "time_departures")}
        for key, value in scope.items():
            typer.echo(f"{key}: {value}")
        if "cases" in result:
            typer.echo(tr("cases: {cases}", cases=result["cases"] or "-"))
        if result["findings"]:
            show([{**f, "evidence": _evidence(f)} for f in result["findings"]],
                 ["case", "code", "article", "message", "evidence"])
        else:
            typer.echo(str(tr("No findings.")))
        _show_departures(result.get("time_departures"))
    if result["findings"]:
        raise typer.Exit(1)


def _show_departures(departures: list[dict] | None) -> None:
    """A real database's steps dated away from their time of writing: listed, not findings (each had to give a
    reason to be written; one without a reason was not written by this engine)."""
    if departures is None:
        return
    from states.clock import SKEW

    minutes = int(SKEW.total_seconds() // 60)
    if not departures:
        typer.echo(str(tr("Every step is dated at its time of writing (±{minutes} min).", minutes=minutes)))
        return
    typer.echo(str(tr("Steps dated away from the database's time of writing (by more than {minutes} min):", minutes=minutes)))
    missing = str(tr("NO REASON"))
    show([{**d, "seq": ", ".join(map(str, d["seq"])), "events": ", ".join(d["events"]),
           "reason": d["reason"] or missing} for d in departures],
         ["case", "seq", "events", "stated", "moment", "recorded_at", "departure", "actor", "reason"])


@command(open_data_app, "results")
def open_data_results(
    year: Annotated[int | None, typer.Option(help="Only results published in this year.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "csv",
    output: Output = None,
) -> None:
    """Results of calls (organisation, KRS, task, amount, dates) in the stable open-data format."""
    from states.auditing.open_data import results, to_csv
    from states.errors import InvalidInput

    if fmt not in ("csv", "json"):
        raise InvalidInput("bad_format", tr("Unknown format “{fmt}”: csv or json", fmt=fmt))
    data = run(results, year, readonly=True)
    json_wanted = fmt == "json" or _invocation.get().json
    _emit(json.dumps(data, ensure_ascii=False, indent=1) + "\n" if json_wanted else to_csv(data), output)


@command(report_app, "annual")
def report_annual(year: Annotated[int, typer.Argument(help="The programme year, e.g. 2026.")], output: Output = None) -> None:
    """The annual report on the cooperation programme (art. 5a ust. 3), markdown, Polish."""
    from states.auditing.annual_report import annual_report

    result = run(annual_report, year, readonly=True)
    if _invocation.get().json:
        show(result)
        return
    _emit(result["markdown"], output)
