"""The production runbook (docs/production.md) run as written, on this machine: a Prefect server on PostgreSQL
started by its systemd unit's command with its EnvironmentFile, the work pool and the deployments of
prefect.yaml from deploy/prefect-setup.sh, two process workers from their unit, the engine on a REAL
PostgreSQL database made by deploy/database.sh. Then what a municipality's server lives through:

- a form resumed after its first worker stopped records every answer once, on the other worker (its own
  PREFECT_HOME and result storage, as on another machine: the first answer is replayed there from what Prefect's
  database kept, without executing it again);
- a worker SIGKILLed (with its flow run) in the middle of a tick: the other worker carries on, every deadline
  fires once;
- everything (server, workers, the run) killed in the middle of a tick and started again with the runbook's
  commands: every deadline fires once, the oldest due one within two tick intervals of the restart.

The tick's schedule is shortened to TICK_SECONDS, its runs in batches of BATCH, through Prefect's API after
the deploy (production keeps prefect.yaml's 60 s and batches of 2,000), so that a tick is caught between two of
its committed batches; and the workers ask for runs every QUERY_SECONDS (production: Prefect's 10 s), since every
scenario waits for runs to be picked up, not for what it checks. These are the only changes to the recipe. Counted from the engine's database (deadlines, audit log,
command log), never from Prefect's run history (invariant 2).
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from bench.production import (
    ADMIN_NAME,
    DEPLOY,
    ROOT,
    Stack,
    call_announced_now,
    clone_due_calls,
    coop,
    database_now,
    environment_files,
    fired_at,
    firing,
    make_offers_close_due,
    office_settings,
    oldest_unfired,
    read_env,
    register_organisations,
    run_script,
    scratch_databases,
    script_env,
    unit,
    wait_until,
)
from flows.evaluation import decision_label

TICK_SECONDS = 30
DUE = 1500  # due deadlines per scenario: a tick of small batches takes a few seconds on them
BATCH = 50
# A worker's poll for runs to start: each pick-up (a form's resume, a tick started by the test) waited up to 10 s
# for it. After a restart a worker asks at once, so the latency bound of two tick intervals measures the same.
QUERY_SECONDS = 2


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    with scratch_databases("coop_prod_engine", "coop_prod_prefect") as (coop_url, prefect_url):
        stack = Stack(folder, coop_url, prefect_url, worker_query_seconds=QUERY_SECONDS)
        server = stack.server_services[0].start()
        try:
            database = run_script("database.sh", stack.operator_env)
            assert database.returncode == 0, database.stderr
            stack.database_output = database.stdout
            office_settings(stack.operator_env)
            krs = register_organisations(coop_url)
            stack.form_call = call_announced_now(coop_url, "Sport 2027 (formularz)", offers_from=krs)
            make_offers_close_due(coop_url, stack.form_call)
            stack.template = call_announced_now(coop_url, "Wzór do kopii")
            ticked = coop(stack.operator_env, "tick", "--json")
            assert ticked.returncode == 0, ticked.stderr
            stack.api(0).wait_healthy(server)
            setup = run_script("prefect-setup.sh", stack.operator_env)
            assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
            stack.setup_output = setup.stdout + setup.stderr
            automations = stack.api(0).http.post("/automations/filter", json={}).json()
            assert "coop-crash-dead-flow-runs" in {a["name"] for a in automations}  # coop prefect setup ran
            stack.api(0).set_interval("coop-tick/tick", TICK_SECONDS,
                                      {"batch_size": BATCH, "interval_seconds": TICK_SECONDS})
            stack.start_workers()
            yield stack
        finally:
            stack.stop_all()
            from models.db import get_engine, normalise_url

            get_engine(normalise_url(coop_url)).dispose()


def test_the_runbook_makes_a_real_database_that_refuses_demo_data(stack):
    assert "clock: real" in stack.database_output
    before = firing(stack.coop_url, [stack.form_call])
    demo = subprocess.run([str(ROOT / ".venv/bin/coop"), "demo", "--database", stack.coop_url],
                          env={**script_env(stack.operator_env), "COOP_LANG": "en"}, capture_output=True, text=True,
                          timeout=120)
    assert demo.returncode == 2, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stderr and "real" in demo.stderr
    assert firing(stack.coop_url, [stack.form_call]) == before


def test_the_units_start_and_stop_as_production_needs():
    worker = unit("coop-worker@.service")
    # The worker's graceful stop is SIGINT; to the worker alone, its runs finish their batch (docs/production.md).
    assert (worker["KillSignal"], worker["KillMode"]) == ("SIGINT", "mixed")
    # Both units read the auth string from its own 0600 file (deploy/secrets.sh), never from the env templates.
    assert environment_files("coop-worker@.service") == ["/etc/coop-engine/coop.env", "/etc/coop-engine/prefect-auth.env"]
    assert environment_files("coop-prefect-server.service") == ["/etc/coop-engine/prefect-server.env",
                                                                "/etc/coop-engine/prefect-auth.env"]
    env = read_env(DEPLOY / "coop.env")
    assert {"COOP_DATABASE_URL", "PREFECT_API_URL", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY",
            "COOP_FORM_PROOF_KEY_FILE"} <= env.keys()
    assert "COOP_SIMULATION" not in env
    for template in ("coop.env", "prefect-server.env"):
        assert not {"PREFECT_API_AUTH_STRING", "PREFECT_SERVER_API_AUTH_STRING"} & read_env(DEPLOY / template).keys()


def test_the_secrets_are_private_never_printed_and_every_unauthenticated_call_is_refused(stack):
    """deploy/secrets.sh made the auth string and the form-proof key 0600 and printed neither; the production
    server answers 401 to every route of its API called without the string (only the health probes answer);
    the deployments prefect.yaml made take no database, identity or moment parameter (the database is real)."""
    import stat

    auth_file, key_file = stack.folder / "prefect-auth.env", stack.folder / "form-proof-key"
    for path in (auth_file, key_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret, key = stack.auth, key_file.read_text().strip()
    outputs = [stack.secrets_output, stack.setup_output, stack.database_output,
               *(s.log.read_text(errors="replace") for s in [*stack.server_services, *stack.worker_services])]
    assert not any(secret.split(":", 1)[1] in text or key in text for text in outputs)
    from tests.prefect_fixtures import unauthenticated_sweep

    statuses = unauthenticated_sweep(stack.api().url, stack.api().auth)
    assert len(statuses) > 100
    assert {route: code for route, code in statuses.items() if code != 401} == {"GET /health": 200, "GET /ready": 200}
    api = stack.api()
    for name in ("coop-tick/tick", "coop-case-step/case-step", "coop-committee-scoring/committee-scoring",
                 "coop-formal-review/formal-review"):
        schema = api.deployment(name)["parameter_openapi_schema"]
        assert schema["additionalProperties"] is False
        assert not {"database_url", "officer", "member", "at", "at_reason"} & schema["properties"].keys(), name
    tick = api.deployment("coop-tick/tick")
    for parameters in ({"database_url": "sqlite:////tmp/elsewhere.db"}, {"at": "2027-01-16T00:00:01+01:00"}):
        refused = api.http.post(f"/deployments/{tick['id']}/create_flow_run", json={"parameters": parameters})
        assert refused.status_code == 409, refused.text


def test_a_form_resumed_on_the_other_worker_records_each_answer_once(stack):
    stack.restart_dead_workers()
    from models.command_log import CommandRecord
    from models.tables import AuditRecord, Case, Offer

    api = stack.api()
    code = stack.form_call
    run = api.run("coop-formal-review/formal-review", {"code": code})
    api.wait_state(run, {"Suspended"}, timeout=120)

    def proof(form: str) -> str:
        """The officer's proof, as she gets it on the server with her token: deploy/coop form proof RUN FORM."""
        made = coop(stack.operator_env, "form", "proof", run, form)  # as the operator her token proves
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    api.resume(run, {"offer": 1, "decision": decision_label("accept"), "proof": proof("review-1")})
    # The first answer recorded, the run suspended again for the second offer; then the worker that recorded
    # it stops.
    wait_until(lambda: api.flow_run(run)["state"]["name"] == "Suspended"
               and "review-2" in str(api.flow_run(run)["state"]["state_details"]), 120, what="the second form")
    first = wait_until(lambda: next((w for w in stack.worker_services if "Task run 'review-1' - Finished in state "
                                     "Completed()" in w.log.read_text(errors="replace")), None), 30,
                       what="the worker that recorded the first answer")
    stopped_in = first.stop()
    assert not first.alive() and stopped_in < float(first.settings["TimeoutStopSec"])
    api.resume(run, {"offer": 2, "decision": decision_label("accept"), "proof": proof("review-2")})
    assert api.wait_state(run, {"Completed", "Failed", "Crashed"}, timeout=150) == "Completed"
    # The other worker ran it to the end: it recorded the second answer and replayed the first from the outcome
    # kept in Prefect's database, without executing it again (flows/evaluation.py); one review per offer, one
    # command-log key per answer.
    other = next(w for w in stack.worker_services if w is not first)
    assert first.process.returncode is not None and other.alive()
    log = other.log.read_text(errors="replace")
    assert "Task run 'review-2' - Finished in state Completed()" in log and "Task run 'review-1'" not in log
    with stack_engine(stack).connect() as conn:
        case_id = conn.execute(sa.select(Case.id).where(Case.code == code)).scalar_one()
        reviews = conn.execute(sa.select(AuditRecord.subject, sa.func.count()).where(
            AuditRecord.case_id == case_id, AuditRecord.event == "accept_formally").group_by(AuditRecord.subject)).all()
        states = conn.execute(sa.select(Offer.number, Offer.state).where(Offer.case_id == case_id)).all()
        keys = conn.execute(sa.select(CommandRecord.key).where(CommandRecord.key.like(f"form:{run}:%"))).scalars().all()
    assert sorted(states) == [(1, "formally_accepted"), (2, "formally_accepted")]
    assert {count for _, count in reviews} == {1} and len(reviews) == 2
    assert sorted(keys) == [f"form:{run}:review-1", f"form:{run}:review-2"]
    with stack_engine(stack).connect() as conn:  # recorded as the officer her proofs name
        actors = conn.execute(sa.select(AuditRecord.actor).where(AuditRecord.case_id == case_id,
                                                                 AuditRecord.event == "accept_formally")).scalars().all()
    assert actors == [ADMIN_NAME, ADMIN_NAME]


def stack_engine(stack):
    from models.db import get_engine, normalise_url

    return get_engine(normalise_url(stack.coop_url))


def mid_tick(stack, codes: list[str]) -> str:
    """A tick run (the schedule's, or one started now) Running with deadlines fired and deadlines left."""
    api = stack.api()
    api.run("coop-tick/tick", {"batch_size": BATCH})

    def caught():
        running = api.running("coop-tick/tick")
        counted = firing(stack.coop_url, codes)
        return running[0] if running and 0 < counted.fired and counted.unfired > 0 else None
    return wait_until(caught, 120, every=0.1, what="a tick in the middle of its deadlines")


def test_a_worker_killed_mid_tick_the_other_carries_on_every_deadline_fires_once(stack):
    stack.restart_dead_workers()
    codes = clone_due_calls(stack.coop_url, stack.template, DUE, timedelta(minutes=5), first_number=200000)
    run = mid_tick(stack, codes)
    victim = stack.worker_of(run)
    victim.crash()
    killed_at = database_now(stack.coop_url)
    assert firing(stack.coop_url, codes).unfired > 0
    wait_until(lambda: firing(stack.coop_url, codes).unfired == 0, 4 * TICK_SECONDS + 60, every=1,
               what="every deadline fired after the kill")
    counted = firing(stack.coop_url, codes)
    assert (counted.fired, counted.records, counted.cases_recorded_twice) == (DUE, DUE, 0)
    survivor = next(w for w in stack.worker_services if w is not victim)
    # The ticks that completed after the kill (started before it or after) ran on the survivor. The tick that
    # fired the last deadline commits before Prefect hears it completed, so its Completed state is waited for.
    def completed_since_kill():
        return [r for r in stack.api().runs("coop-tick/tick", states=["Completed"])
                if datetime.fromisoformat(r["end_time"]) > killed_at] or None
    later = wait_until(completed_since_kill, TICK_SECONDS + 60, every=1, what="a tick completed after the kill")
    assert all(r["id"] in survivor.log.read_text(errors="replace") for r in later)


def test_everything_killed_mid_tick_and_restarted_fires_every_deadline_once_within_two_intervals(stack):
    codes = clone_due_calls(stack.coop_url, stack.template, DUE, timedelta(minutes=5), first_number=300000)
    mid_tick(stack, codes)
    stack.crash_all()
    oldest = oldest_unfired(stack.coop_url, codes)
    assert oldest is not None
    stack.start_servers()  # the units, as at boot: the server first (the workers' unit is After= it)
    restarted_at = database_now(stack.coop_url)  # the server answers again
    stack.start_workers()
    wait_until(lambda: fired_at(stack.coop_url, oldest[0]), 4 * TICK_SECONDS + 60, every=0.5,
               what="the oldest due deadline fired after the restart")
    latency = fired_at(stack.coop_url, oldest[0]) - restarted_at
    print(f"oldest due deadline fired {latency.total_seconds():.1f} s after the server answered again")
    assert latency <= timedelta(seconds=2 * TICK_SECONDS)
    wait_until(lambda: firing(stack.coop_url, codes).unfired == 0, 4 * TICK_SECONDS, every=1,
               what="every deadline fired after the restart")
    counted = firing(stack.coop_url, codes)
    assert (counted.fired, counted.records, counted.cases_recorded_twice) == (DUE, DUE, 0)
