"""The production recipe of docs/production.md, run on this machine as its files say, for the test and the drill.

Everything is started from the runbook's own files, not a paraphrase: ``deploy/database.sh`` and
``deploy/prefect-setup.sh`` run as they are; the Prefect server and the workers run the ``ExecStart=`` of
``deploy/systemd/*.service`` with the environment of ``deploy/*.env`` (copied with this machine's values: its
scratch databases, ports and directories), in a clean environment as systemd gives, and are stopped the way
the unit says (``KillSignal=``, ``KillMode=``, ``TimeoutStopSec=``) or killed whole, like a machine losing
power. Only ``/srv/coop-engine`` (the checkout in the units) becomes this checkout.

``python -m bench.production`` is the heavier drill: one or two Prefect servers (two share PostgreSQL and Redis
through prefect-redis: ``pip install -e '.[ha]'``), two workers, tens of thousands of due deadlines, a worker
killed mid-tick, everything killed mid-tick and restarted, and the figures docs/production.md reports.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
CHECKOUT_IN_UNITS = "/srv/coop-engine"
PG_ADMIN = os.environ.get("COOP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# What systemd gives a service besides its EnvironmentFile (no variable of the caller leaks in).
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
            "HOME": os.environ.get("HOME", "/root")}


# --- the runbook's files ---------------------------------------------------------------------------------------


def unit(name: str) -> dict[str, str]:
    """The ``[Service]`` settings of a unit file (the last value of a key wins, as in systemd)."""
    settings: dict[str, str] = {}
    section = None
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def environment_files(name: str) -> list[str]:
    """Every ``EnvironmentFile=`` of a unit's ``[Service]``, in order (systemd reads them all, later ones winning)."""
    files, section = [], None
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line.startswith("EnvironmentFile="):
            files.append(line.partition("=")[2].strip())
    return files


def read_env(path: Path) -> dict[str, str]:
    """An EnvironmentFile: KEY=VALUE lines, comments and blank lines skipped, one pair of quotes removed."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def write_env(template: str, target: Path, **overrides: str) -> Path:
    """``deploy/<template>`` with this machine's values for some keys (added when the template lacks them)."""
    lines, seen = [], set()
    for raw in (DEPLOY / template).read_text().splitlines():
        key = raw.partition("=")[0].strip()
        if raw.strip() and not raw.lstrip().startswith("#") and key in overrides:
            lines.append(f"{key}={overrides[key]}")
            seen.add(key)
        else:
            lines.append(raw)
    lines += [f"{key}={value}" for key, value in overrides.items() if key not in seen]
    target.write_text("\n".join(lines) + "\n")
    return target


def auth_env_file(env_file: Path) -> Path:
    """The stack's ``prefect-auth.env`` (deploy/secrets.sh made it beside the stack's other environment files)."""
    return env_file.parent / "prefect-auth.env"


def script_env(env_file: Path) -> dict[str, str]:
    """What ``set -a; . /etc/coop-engine/coop.env; set +a`` gives the runbook's scripts (which read the auth string
    from their own file, named here as the stack keeps it)."""
    return {**BASE_ENV, **read_env(env_file), "COOP_AUTH_ENV_FILE": str(auth_env_file(env_file))}


# The operator's personal token on each engine database (docs/production.md, step 3), by the database's URL.
_TOKENS: dict[str, str] = {}
ADMIN_LOGIN, ADMIN_NAME = "admin", "Adam Administrator"


def _url_of(env_file: Path) -> str:
    from models.db import normalise_url

    return normalise_url(read_env(env_file)["COOP_DATABASE_URL"])


def coop(env_file: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess:
    """An operator's ``coop`` command on the server: ``deploy/coop`` with the workers' environment file and the
    operator's personal token (once step 3 made it)."""
    token = _TOKENS.get(_url_of(env_file))
    return subprocess.run([str(DEPLOY / "coop"), *args], env={**BASE_ENV, "COOP_ENV_FILE": str(env_file),
                                                                "COOP_AUTH_ENV_FILE": str(auth_env_file(env_file)),
                                                                **({"COOP_TOKEN": token} if token else {}),
                                                                **(env or {})},
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def first_administrator(env_file: Path) -> str:
    """docs/production.md, step 3: the first administrator of the new real database (``coop people bootstrap``),
    who then grants themselves the officer's and the scheduler's roles; returns their token."""
    done = coop(env_file, "people", "bootstrap", "--login", ADMIN_LOGIN, "--name", ADMIN_NAME, "--json")
    assert done.returncode == 0, done.stderr
    _TOKENS[_url_of(env_file)] = json.loads(done.stdout)["token"]
    for role in ("officer", "scheduler"):
        granted = coop(env_file, "people", "grant", ADMIN_LOGIN, role)
        assert granted.returncode == 0, granted.stderr
    return _TOKENS[_url_of(env_file)]


def office_settings(env_file: Path) -> None:
    """The office's settings of docs/production.md (step 3), with this machine's values: a mailbox for the
    officers and an SMTP server nobody listens on (messages wait and are retried; nothing leaves). Made by the
    first administrator, who is an officer too."""
    if _url_of(env_file) not in _TOKENS:
        first_administrator(env_file)
    for key, value in (("officers-email", "ngo@example.org"), ("smtp-host", "127.0.0.1"),
                       ("smtp-port", str(free_port()))):
        done = coop(env_file, "settings", "set", key, value, "--reason", "installation")
        assert done.returncode == 0, done.stderr


def run_script(name: str, env_file: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(DEPLOY / name)], env=script_env(env_file), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


# --- processes -------------------------------------------------------------------------------------------------


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, todo = children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything it started, as a machine losing power (or systemd's cgroup kill):
    stopped first, so nothing forks meanwhile."""
    pids = descendants(pid)
    _signal(pids, signal.SIGSTOP)
    pids = sorted(set(pids) | set(descendants(pid)))
    _signal(pids, signal.SIGKILL)


@dataclass
class Service:
    """One instance of a unit, run as systemd would: ExecStart, WorkingDirectory, EnvironmentFile."""

    unit_name: str
    env_file: Path
    log: Path
    instance: str = ""
    process: subprocess.Popen | None = None
    settings: dict[str, str] = field(default_factory=dict)

    def command(self) -> list[str]:
        self.settings = unit(self.unit_name)
        line = self.settings["ExecStart"].replace("%i", self.instance).replace("%H", socket.gethostname())
        return shlex.split(line.replace(CHECKOUT_IN_UNITS, str(ROOT)))

    def start(self) -> Service:
        command = self.command()
        cwd = self.settings["WorkingDirectory"].replace(CHECKOUT_IN_UNITS, str(ROOT))
        env = dict(BASE_ENV)
        for name in environment_files(self.unit_name):  # each of the unit's files, as this stack keeps it
            env.update(read_env(auth_env_file(self.env_file) if name.endswith("/prefect-auth.env") else self.env_file))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=cwd, env=env,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> float:
        """``systemctl stop``: KillSignal to the main process (KillMode=mixed) or to all; SIGKILL to whatever is
        left after TimeoutStopSec. Returns the seconds the main process took to exit."""
        if not self.alive():
            return 0.0
        signum = getattr(signal, self.settings.get("KillSignal", "SIGTERM"))
        mode = self.settings.get("KillMode", "control-group")
        started = time.monotonic()
        _signal([self.pid] if mode == "mixed" else descendants(self.pid), signum)
        try:
            self.process.wait(timeout=float(self.settings.get("TimeoutStopSec", "90")))
        except subprocess.TimeoutExpired:
            pass
        took = time.monotonic() - started
        kill_tree(self.pid)
        self.process.wait()
        return took

    def crash(self) -> None:
        if self.process is not None:
            kill_tree(self.pid)
            self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def scratch_databases(*prefixes: str) -> Iterator[list[str]]:
    """PostgreSQL databases of their own (``postgresql://…`` URLs), dropped at the end."""
    names = [f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}" for prefix in prefixes]
    base = PG_ADMIN.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [f"{base}/{name}" for name in names]
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_size(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


# --- the Prefect API -------------------------------------------------------------------------------------------


class PrefectAPI:
    def __init__(self, url: str, auth: str | None = None):
        self.url = url
        self.auth = tuple(auth.split(":", 1)) if auth else None
        self.http = httpx.Client(base_url=url, timeout=30, auth=self.auth)

    def healthy(self) -> bool:
        try:
            return self.http.get("/health", timeout=2).json() is True
        except (httpx.HTTPError, ValueError):
            return False

    def wait_healthy(self, service: Service, timeout: float = 180) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not service.alive():
                raise RuntimeError(f"the Prefect server exited: see {service.log}")
            if self.healthy():
                return time.monotonic() - started
            time.sleep(0.3)
        raise RuntimeError(f"the Prefect server does not answer: see {service.log}")

    def deployment(self, name: str) -> dict:
        answer = self.http.get(f"/deployments/name/{name}")
        answer.raise_for_status()
        return answer.json()

    def set_interval(self, name: str, seconds: int, parameters: dict | None = None) -> None:
        """The deployment's one schedule every ``seconds``, its runs with ``parameters`` (the runs it had
        scheduled already are replaced)."""
        deployment = self.deployment(name)
        (schedule,) = deployment["schedules"]
        self.http.patch(f"/deployments/{deployment['id']}/schedules/{schedule['id']}",
                        json={"schedule": {"interval": seconds}, "parameters": parameters or {}}).raise_for_status()

    def running(self, deployment: str) -> list[str]:
        deployment_id = self.deployment(deployment)["id"]
        answer = self.http.post("/flow_runs/filter", json={"flow_runs": {
            "deployment_id": {"any_": [deployment_id]}, "state": {"name": {"any_": ["Running"]}}}})
        answer.raise_for_status()
        return [run["id"] for run in answer.json()]

    def run(self, name: str, parameters: dict | None = None) -> str:
        deployment = self.deployment(name)
        answer = self.http.post(f"/deployments/{deployment['id']}/create_flow_run",
                                json={"parameters": parameters or {}})
        answer.raise_for_status()
        return answer.json()["id"]

    def flow_run(self, run_id: str) -> dict:
        answer = self.http.get(f"/flow_runs/{run_id}")
        answer.raise_for_status()
        return answer.json()

    def state(self, run_id: str) -> str:
        return self.flow_run(run_id)["state"]["name"]

    def wait_state(self, run_id: str, names: set[str], timeout: float = 120) -> str:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            name = self.state(run_id)
            if name in names:
                return name
            time.sleep(0.3)
        raise TimeoutError(f"flow run {run_id} still {name}, not {names}")

    def resume(self, run_id: str, run_input: dict) -> dict:
        answer = self.http.post(f"/flow_runs/{run_id}/resume", json={"run_input": run_input})
        answer.raise_for_status()
        return answer.json()

    def runs(self, deployment: str, after: datetime | None = None, states: list[str] | None = None) -> list[dict]:
        deployment_id = self.deployment(deployment)["id"]
        body: dict = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}, "limit": 200}
        if after is not None:
            body["flow_runs"]["start_time"] = {"after_": after.isoformat()}
        if states is not None:
            body["flow_runs"]["state"] = {"name": {"any_": states}}
        answer = self.http.post("/flow_runs/filter", json=body)
        answer.raise_for_status()
        return answer.json()

    def task_runs(self, run_id: str, name: str) -> list[dict]:
        answer = self.http.post("/task_runs/filter", json={
            "flow_runs": {"id": {"any_": [run_id]}}, "task_runs": {"name": {"any_": [name]}}})
        answer.raise_for_status()
        return answer.json()


# --- the engine's data on a real database ------------------------------------------------------------------------


def _engine(url: str):
    from models.db import get_engine, normalise_url

    return get_engine(normalise_url(url))


def _officer(url: str):
    """The operator as an officer, proven by their token (a real database takes no typed name: invariant 9)."""
    from models.db import normalise_url
    from states.people import authenticate

    return authenticate(_TOKENS[normalise_url(url)], url=url, role="officer")


def register_organisations(url: str, count: int = 2) -> list[str]:
    from states import inputs
    from states.cases import register_organisation
    from states.engine import execute

    krs_numbers = [f"00003000{n:02d}" for n in range(1, count + 1)]
    for krs in krs_numbers:
        execute(register_organisation, inputs.RegisterOrganisation(
            name=f"Fundacja Próbna {krs[-2:]}", legal_form="fundacja", krs=krs, address="Leszno",
            email=f"biuro{krs[-2:]}@example.org", contact_person="Prezes"), actor=_officer(url), url=url)
    return krs_numbers


def call_announced_now(url: str, title: str, offers_from: list[str] = ()) -> str:
    """An open call created and announced now (a real database's clock), its offer deadline 40 days ahead,
    with one offer from each organisation in ``offers_from``."""
    from states import calendar
    from states.engine import execute
    from states.procedures.open_call import handlers as open_call_handlers
    from states.procedures.open_call import inputs as open_call_inputs

    officer = _officer(url)
    now = datetime.now(UTC)
    today = calendar.local_date(now)
    code = execute(open_call_handlers.create_call, open_call_inputs.CreateOpenCall(title=title, task_area="kultura fizyczna",
                                                    budget=Decimal("50000.00")), actor=officer, url=url)["code"]
    published = {channel: (now - timedelta(hours=1)).isoformat(timespec="seconds")
                 for channel in ("bip", "board", "website")}
    execute(open_call_handlers.announce_call, open_call_inputs.AnnounceCall(
        code=code, offer_deadline=today + timedelta(days=40), selection_date=today + timedelta(days=60),
        execution_start=today + timedelta(days=70), execution_end=today + timedelta(days=200), published=published),
        actor=officer, url=url)
    for number, krs in enumerate(offers_from, start=1):
        execute(open_call_handlers.file_offer, open_call_inputs.FileOffer(code=code, organisation_krs=krs, title=f"Zadanie {number}",
                                           requested_grant=Decimal("5000.00"), task_start=today + timedelta(days=80),
                                           task_end=today + timedelta(days=150)), actor=officer, url=url)
    return code


def make_offers_close_due(url: str, code: str) -> None:
    """The call's offer deadline made past (a real database fires at its own time: only a past deadline is
    due; waiting 40 days is not an option in a test)."""
    from models.tables import Case, Deadline

    with _engine(url).begin() as conn:
        case_id = conn.execute(sa.select(Case.id).where(Case.code == code)).scalar_one()
        conn.execute(sa.update(Deadline).where(Deadline.case_id == case_id, Deadline.kind == "offers_close")
                     .values(due_at=sa.func.now() - timedelta(minutes=1)))


def clone_due_calls(url: str, template_code: str, count: int, due_before: timedelta, first_number: int) -> list[str]:
    """``count`` copies of an announced call without offers, each with one ``offers_close`` deadline due
    ``due_before`` before the database's now; each copy starts an empty audit chain (tests/prefect_fixtures)."""
    from models.tables import Case, Deadline
    from tests.prefect_fixtures import clone_due_calls as clone

    with _engine(url).begin() as conn:
        due_at = conn.execute(sa.select(sa.func.now())).scalar_one() - due_before
        template_id = conn.execute(sa.select(Case.id).where(Case.code == template_code)).scalar_one()
        conn.execute(sa.delete(Deadline).where(Deadline.case_id == template_id))
    return clone(url, template_code, count, due_at, first_number=first_number)


@dataclass
class Firing:
    fired: int  # deadlines with fired_at
    unfired: int
    records: int  # close_offers audit records of the cloned calls
    cases_recorded_twice: int


def firing(url: str, codes: list[str]) -> Firing:
    from models.tables import AuditRecord, Case, Deadline

    with _engine(url).connect() as conn:
        ids = sa.select(Case.id).where(Case.code.in_(codes))
        fired, unfired = (conn.execute(sa.select(sa.func.count()).select_from(Deadline).where(
            Deadline.case_id.in_(ids), condition)).scalar_one()
            for condition in (Deadline.fired_at.is_not(None), Deadline.fired_at.is_(None)))
        per_case = (sa.select(AuditRecord.case_id, sa.func.count().label("n")).where(
            AuditRecord.case_id.in_(ids), AuditRecord.event == "close_offers").group_by(AuditRecord.case_id).subquery())
        records, twice = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(per_case.c.n), 0),
                                                sa.func.count().filter(per_case.c.n > 1))).one()
    return Firing(fired, unfired, int(records), int(twice))


def database_now(url: str) -> datetime:
    with _engine(url).connect() as conn:
        return conn.execute(sa.select(sa.func.now())).scalar_one()


def oldest_unfired(url: str, codes: list[str]) -> tuple[int, datetime] | None:
    from models.tables import Case, Deadline

    with _engine(url).connect() as conn:
        row = conn.execute(sa.select(Deadline.id, Deadline.due_at).join(Case, Case.id == Deadline.case_id).where(
            Case.code.in_(codes), Deadline.fired_at.is_(None)).order_by(Deadline.due_at, Deadline.id).limit(1)).first()
    return (row.id, row.due_at) if row else None


def fired_at(url: str, deadline_id: int) -> datetime | None:
    from models.tables import Deadline

    with _engine(url).connect() as conn:
        return conn.execute(sa.select(Deadline.fired_at).where(Deadline.id == deadline_id)).scalar_one()


def wait_until(predicate, timeout: float, every: float = 0.2, what: str = "condition"):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


# --- one stack ---------------------------------------------------------------------------------------------------


@dataclass
class Stack:
    """The recipe on this machine: ``servers`` Prefect servers (on one PostgreSQL database; two need Redis),
    ``workers`` workers, the engine's real database; everything under ``folder``."""

    folder: Path
    coop_url: str
    prefect_url: str
    servers: int = 1
    workers: int = 2
    redis_url: str | None = None
    # How often a worker asks the server for runs to start (PREFECT_WORKER_QUERY_SECONDS); None: Prefect's 10 s,
    # as the runbook leaves it. A test that waits on every run's pick-up may ask sooner.
    worker_query_seconds: int | None = None
    ports: list[int] = field(default_factory=list)
    server_services: list[Service] = field(default_factory=list)
    worker_services: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The runbook's secrets (deploy/secrets.sh), made in the stack's folder as in /etc/coop-engine.
        made = subprocess.run([str(DEPLOY / "secrets.sh")], env={**BASE_ENV, "COOP_ETC": str(self.folder)},
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stdout + made.stderr
        self.secrets_output = made.stdout + made.stderr
        self.auth = read_env(self.folder / "prefect-auth.env")["PREFECT_API_AUTH_STRING"]
        self.ports = [free_port() for _ in range(self.servers)]
        for index, port in enumerate(self.ports, start=1):
            overrides = {
                "PREFECT_API_DATABASE_CONNECTION_URL": self.prefect_url.replace("postgresql://", "postgresql+asyncpg://"),
                "PREFECT_SERVER_API_PORT": str(port), "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
                "PREFECT_HOME": str(self.folder / f"server-{index}")}
            if self.redis_url:
                overrides.update(redis_settings(self.redis_url))
            env = write_env("prefect-server.env", self.folder / f"prefect-server-{index}.env", **overrides)
            self.server_services.append(Service("coop-prefect-server.service", env, self.folder / f"server-{index}.log"))
        for index in range(1, self.workers + 1):
            # Each worker as on a machine of its own: its own PREFECT_HOME (and result storage in it).
            port = self.ports[(index - 1) % self.servers]
            env = write_env("coop.env", self.folder / f"coop-{index}.env",
                            COOP_DATABASE_URL=self.coop_url, COOP_LOG_FILE=str(self.folder / f"coop-{index}.log"),
                            PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
                            PREFECT_HOME=str(self.folder / f"worker-{index}"),
                            COOP_FORM_PROOF_KEY_FILE=str(self.folder / "form-proof-key"),
                            COOP_STRICT_MESSAGES="1",
                            **({"PREFECT_WORKER_QUERY_SECONDS": str(self.worker_query_seconds)}
                               if self.worker_query_seconds else {}))
            self.worker_services.append(Service("coop-worker@.service", env, self.folder / f"worker-{index}.log",
                                                instance=str(index)))

    @property
    def operator_env(self) -> Path:
        """The env file an operator's commands read (the first worker's)."""
        return self.worker_services[0].env_file

    def api(self, index: int = 0) -> PrefectAPI:
        return PrefectAPI(f"http://127.0.0.1:{self.ports[index]}/api", self.auth)

    def start_servers(self) -> float:
        """Each server in turn, the next once the first answers (a new Prefect migrates its database at start:
        one at a time)."""
        started = time.monotonic()
        for index, service in enumerate(self.server_services):
            service.start()
            self.api(index).wait_healthy(service)
        return time.monotonic() - started

    def start_workers(self) -> None:
        for service in self.worker_services:
            service.start()

    def restart_dead_workers(self) -> None:
        """What the workers' ``Restart=always`` does."""
        for service in self.worker_services:
            if not service.alive():
                service.start()

    def worker_of(self, run_id: str) -> Service:
        """The worker that took a run (its log names the run it submits)."""
        def find():
            return next((w for w in self.worker_services if run_id in w.log.read_text(errors="replace")), None)
        return wait_until(find, 60, what=f"a worker submitting {run_id}")

    def crash_all(self) -> None:
        for service in [*self.worker_services, *self.server_services]:
            service.crash()

    def stop_all(self) -> None:
        for service in [*self.worker_services, *self.server_services]:
            if service.alive():
                service.stop()


def redis_settings(redis_url: str) -> dict[str, str]:
    """prefect-redis's settings that let two Prefect servers share one database (docs/production.md):
    ``redis://host:port/N``: messaging in database N, the docket (task queue) in N + 1."""
    address, _, db = redis_url.removeprefix("redis://").partition("/")
    host, port = address.split(":")
    db = int(db or 0)
    return {"PREFECT_MESSAGING_BROKER": "prefect_redis.messaging", "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
            "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
            "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
            "PREFECT_REDIS_MESSAGING_HOST": host, "PREFECT_REDIS_MESSAGING_PORT": port,
            "PREFECT_REDIS_MESSAGING_DB": str(db), "PREFECT_SERVER_DOCKET_URL": f"redis://{address}/{db + 1}"}


# --- the drill ---------------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children it has waited for (a worker's finished flow runs)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_of(service: Service) -> float:
    """CPU time of a service's live processes, their finished children included (a worker's flow runs)."""
    return sum(cpu_seconds(pid) for pid in descendants(service.pid)) if service.alive() else 0.0


def seconds(td: timedelta) -> float:
    return round(td.total_seconds(), 1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def start_costs(api: PrefectAPI, deployment: str, after: datetime) -> list[float]:
    """Seconds from each run's scheduled start to its actual start (runs started after ``after``)."""
    return [(datetime.fromisoformat(r["start_time"]) - datetime.fromisoformat(r["expected_start_time"])).total_seconds()
            for r in api.runs(deployment, after=after) if r.get("start_time") and r.get("expected_start_time")]


def latency(url: str, codes: list[str]) -> list[float]:
    from models.tables import Case, Deadline

    with _engine(url).connect() as conn:
        rows = conn.execute(sa.select(Deadline.fired_at - Deadline.due_at).join(Case, Case.id == Deadline.case_id)
                            .where(Case.code.in_(codes), Deadline.fired_at.is_not(None))).scalars().all()
    return [row.total_seconds() for row in rows]


def clone_spread(url: str, template: str, count: int, over: timedelta, first_number: int) -> list[str]:
    """``count`` calls whose deadlines fall due one after another over the next ``over`` (from the database's now)."""
    from models.tables import Case, Deadline

    if count == 0:
        return []
    codes = clone_due_calls(url, template, count, timedelta(0), first_number)
    with _engine(url).begin() as conn:
        ids = conn.execute(sa.select(Deadline.id).join(Case, Case.id == Deadline.case_id)
                           .where(Case.code.in_(codes)).order_by(Deadline.id)).scalars().all()
        step = over / max(1, count)
        now = conn.execute(sa.select(sa.func.now())).scalar_one()
        conn.execute(sa.update(Deadline).where(Deadline.id == sa.bindparam("b_id")).values(due_at=sa.bindparam("due")),
                     [{"b_id": deadline_id, "due": now + step * (index + 1)} for index, deadline_id in enumerate(ids)])
    return codes


def main(argv: list[str] | None = None) -> None:
    raise SystemExit(drill(argv))


def drill(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.production", description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=2, choices=(1, 2), help="Prefect servers (2: shared Redis)")
    parser.add_argument("--due", type=int, default=20000, help="due deadlines in each kill scenario")
    parser.add_argument("--spread", type=int, default=600, help="deadlines falling due one by one (latency)")
    parser.add_argument("--idle-minutes", type=float, default=5, help="minutes of an idle engine measured")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="Redis for two servers (this DB and the next)")
    parser.add_argument("--idle-only", action="store_true", help="only the schedule's window (no kill scenarios)")
    parser.add_argument("--folder", type=Path, help="keep logs and environment files here (default: a temp dir)")
    args = parser.parse_args(argv)
    import tempfile

    folder = args.folder or Path(tempfile.mkdtemp(prefix="coop-production-"))
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {"servers": args.servers, "due": args.due, "folder": str(folder)}

    def report(key: str, value: object) -> None:
        figures[key] = value
        print(f"{key}: {value}", flush=True)

    redis_url = None
    if args.servers == 2:
        import redis

        base, db = args.redis.rsplit("/", 1)
        for number in (int(db), int(db) + 1):  # this drill's own two Redis databases, emptied first
            redis.Redis.from_url(f"{base}/{number}").flushdb()
        redis_url = args.redis
    with scratch_databases("coop_drill_engine", "coop_drill_prefect") as (coop_url, prefect_url):
        stack = Stack(folder, coop_url, prefect_url, servers=args.servers, redis_url=redis_url)
        try:
            report("server_start_s", round(stack.start_servers(), 1))
            assert run_script("database.sh", stack.operator_env).returncode == 0
            office_settings(stack.operator_env)
            register_organisations(coop_url)
            template = call_announced_now(coop_url, "Wzór do kopii")
            setup = run_script("prefect-setup.sh", stack.operator_env)
            assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
            stack.start_workers()
            api = stack.api()
            size_before = database_size(prefect_url)
            report("prefect_db_mb_after_setup", round(size_before / 2**20, 1))

            # 1. The production schedule (a tick every 60 s) with deadlines falling due one by one, measured after a
            # minute of warm-up (the scheduler fills its queue of future runs at first).
            spread = clone_spread(coop_url, template, args.spread, timedelta(minutes=args.idle_minutes + 1), 100000)
            time.sleep(60)
            size_from = database_size(prefect_url)
            idle_from, clock_from = database_now(coop_url), time.monotonic()
            cpu_from = {"servers": sum(cpu_of(s) for s in stack.server_services),
                        "workers": sum(cpu_of(w) for w in stack.worker_services)}
            time.sleep(args.idle_minutes * 60)
            elapsed = time.monotonic() - clock_from
            for part, services in (("servers", stack.server_services), ("workers", stack.worker_services)):
                used = sum(cpu_of(s) for s in services) - cpu_from[part]
                report(f"idle_cpu_s_per_hour_{part}", round(used * 3600 / elapsed))
                cpu_from[part] = used
            runs = [r for name in ("coop-tick/tick", "coop-notifications-dispatch/notifications-dispatch",
                                   "coop-case-summaries/case-summaries")
                    for r in api.runs(name, after=idle_from) if r["state"]["type"] not in ("SCHEDULED", "PENDING")]
            report("flow_runs_started_in_window", len(runs))
            report("worker_cpu_s_per_flow_run", round(cpu_from["workers"] / max(1, len(runs)), 2))
            starts = start_costs(api, "coop-tick/tick", idle_from)
            report("tick_start_s_after_schedule_p50_max", (round(percentile(starts, 0.5), 1), round(max(starts or [0]), 1)))
            waits = latency(coop_url, spread)
            report("deadline_latency_s_p50_p95_max", (round(percentile(waits, 0.5), 1), round(percentile(waits, 0.95), 1),
                                                      round(max(waits or [0]), 1)))
            growth = database_size(prefect_url) - size_from
            report("prefect_db_growth_mb_per_day_idle", round(growth / elapsed * 86400 / 2**20, 1))

            if args.idle_only:
                return 0
            # 2. A worker killed in the middle of a tick of --due deadlines.
            size_busy = database_size(prefect_url)
            codes = clone_due_calls(coop_url, template, args.due, timedelta(minutes=5), 200000)
            api.run("coop-tick/tick")
            wait_until(lambda: api.running("coop-tick/tick") and firing(coop_url, codes).unfired < args.due
                       or None, 600, every=0.2, what="a tick under way")
            running = api.running("coop-tick/tick")
            victim = stack.worker_of(running[0])
            victim.crash()
            killed = time.monotonic()
            wait_until(lambda: firing(coop_url, codes).unfired == 0, 900, every=1, what="every deadline fired")
            counted = firing(coop_url, codes)
            report("worker_kill_all_fired_s", round(time.monotonic() - killed, 1))
            report("worker_kill_exactly_once", counted.fired == counted.records == args.due and counted.cases_recorded_twice == 0)
            victim.start()

            # 3. Everything killed in the middle of a tick, then started again as at boot.
            codes = clone_due_calls(coop_url, template, args.due, timedelta(minutes=5), 300000)
            api.run("coop-tick/tick")
            wait_until(lambda: api.running("coop-tick/tick") and 0 < firing(coop_url, codes).fired < args.due
                       or None, 600, every=0.2, what="a tick under way")
            stack.crash_all()
            oldest = oldest_unfired(coop_url, codes)
            boot = time.monotonic()
            report("restart_server_start_s", round(stack.start_servers(), 1))
            back = database_now(coop_url)
            stack.start_workers()
            wait_until(lambda: fired_at(coop_url, oldest[0]), 900, every=0.5, what="the oldest deadline fired")
            report("restart_oldest_fired_s_after_server_up", seconds(fired_at(coop_url, oldest[0]) - back))
            wait_until(lambda: firing(coop_url, codes).unfired == 0, 900, every=1, what="every deadline fired")
            counted = firing(coop_url, codes)
            report("restart_all_fired_s_after_boot", round(time.monotonic() - boot, 1))
            report("restart_exactly_once", counted.fired == counted.records == args.due and counted.cases_recorded_twice == 0)
            size_end = database_size(prefect_url)
            report("prefect_db_mb_at_end", round(size_end / 2**20, 1))
            # What firing deadlines adds (events, logs, artifacts of the ticks and the housekeeping they start),
            # per deadline, on top of the idle growth: a city's day is the idle day plus its deadlines.
            report("prefect_db_bytes_per_deadline", round((size_end - size_busy) / (2 * args.due)))
        finally:
            stack.stop_all()
            _engine(coop_url).dispose()
    (folder / "figures.json").write_text(json.dumps(figures, indent=2, default=str))
    print(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    main()
