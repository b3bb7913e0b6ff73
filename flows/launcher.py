"""``coop serve``: a Prefect server as a child process, then the engine's deployments served.

The Prefect server keeps its state on SQLite (in ``PREFECT_HOME``) when the engine's database is SQLite, and on
PostgreSQL when the engine's is: a database of its own beside the engine's (``<engine database>_prefect``, made
if missing), because Prefect's SQLite answered ``database is locked`` under a few concurrent writers and a form's
answer was lost to it (issue 21). An operator's own ``PREFECT_API_DATABASE_CONNECTION_URL`` is kept.

Nothing here imports prefect at module level: Prefect reads its settings at import, so it is imported only
after ``PREFECT_API_URL`` points at the child server (stack-facts). Ctrl-C becomes SIGTERM for the runner
(which cancels runs in progress and pauses the schedules), then logs and events are drained and the
server is stopped; the server also dies with this process (PR_SET_PDEATHSIG) if it is killed outright.

The server always runs with an auth string (basic auth, ``PREFECT_SERVER_API_AUTH_STRING``), kept 0600 in the
user data directory; every Prefect client ``coop serve`` starts gets it as ``PREFECT_API_AUTH_STRING``. It is a
lock on the door, not a person's identity.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from kernel.private_files import create_private, exposed
from states.text import Localized, Message, tr

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: the launcher's finally still stops the server
        pass


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


AUTH_FILE_NAME = "prefect-auth-string"


class AuthFileRefused(RuntimeError):
    pass


def auth_file() -> Path:
    from models.db import user_data_path

    return user_data_path() / AUTH_FILE_NAME


def auth_string(path: Path) -> str:
    """The Prefect server's auth string: made on first run (0600 from creation, never readable by others), then
    read back. A file others may read is refused rather than repaired: the secret may already have leaked."""
    if not path.exists():
        # "user:password", so `curl -u "$(cat FILE)"` works; the UI's login takes the whole line
        value = f"coop:{secrets.token_urlsafe(32)}"
        if create_private(path, value + "\n"):
            return value
    if exposed(path):
        raise AuthFileRefused(str(tr(
            "{path} may be read by other users: the Prefect server's auth string must be private. "
            "Run: chmod 600 {path} (and replace the string if it may have leaked: delete the file)", path=path)))
    value = path.read_text().strip()
    if not value:
        raise AuthFileRefused(str(tr("{path} is empty: delete it and coop serve makes a new auth string", path=path)))
    return value


SCHEDULED_AHEAD_SECONDS = 300


class PrefectDatabaseRefused(RuntimeError):
    pass


def prefect_database_url(engine_url: str) -> str | None:
    """The Prefect server's database beside a PostgreSQL engine's: same server and role, database
    ``<engine database>_prefect``, Prefect's driver (asyncpg, a dependency of Prefect); None for SQLite. The
    engine URL's query options are for psycopg, not asyncpg: they are not carried over."""
    from sqlalchemy.engine import make_url

    from models.db import normalise_url

    url = make_url(normalise_url(engine_url))
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql+asyncpg", database=f"{url.database}_prefect",
                   query={}).render_as_string(hide_password=False)


def ensure_prefect_database(engine_url: str) -> str | None:
    """Make the Prefect server's PostgreSQL database if it is missing (``prefect_database_url``); its URL, or None
    for a SQLite engine. Refused, with what to do, when the engine's role may not create databases."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from models.db import normalise_url, shown_url

    wanted = prefect_database_url(engine_url)
    if wanted is None:
        return None
    name = make_url(wanted).database
    engine = make_url(normalise_url(engine_url)).set(drivername="postgresql", query={})
    try:
        with psycopg.connect(engine.render_as_string(hide_password=False), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise PrefectDatabaseRefused(str(tr(
            "The Prefect server's database {name} could not be made ({reason}): create it (createdb {name}) or set "
            "PREFECT_API_DATABASE_CONNECTION_URL", name=name, reason=type(error).__name__))) from error
    print(tr("Prefect's database: {shown}", shown=shown_url(wanted)), flush=True)
    return wanted


def start_server(host: str, port: int, log_path: Path, auth: str, database: str | None = None) -> subprocess.Popen:
    """``database``: the Prefect server's own database URL (PostgreSQL), None for its SQLite in PREFECT_HOME."""
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_API_AUTH_STRING": auth}
    if database:
        env.setdefault("PREFECT_API_DATABASE_CONNECTION_URL", database)
    # Prefect's scheduler keeps an hour of future runs (60 scheduled ticks at one a minute, the first page of the
    # UI's runs); a few minutes ahead are enough for a service that schedules every minute (issue 21).
    env.setdefault("PREFECT_SERVER_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME", f"PT{SCHEDULED_AHEAD_SECONDS}S")
    # The UI calls the API it is served beside, not the default port 4200, unless the operator named another
    # (a reverse proxy's public address).
    env.setdefault("PREFECT_UI_API_URL", f"http://{host}:{port}/api")
    env.pop("PREFECT_API_URL", None)
    log = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True,  # a terminal's Ctrl-C reaches us, not the server
                            preexec_fn=_die_with_parent)


def wait_healthy(server: subprocess.Popen, api: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(str(tr("The Prefect server exited (code {returncode})", returncode=server.returncode)))
        try:
            if httpx.get(f"{api}/health", timeout=2).json() is True:
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(str(tr("The Prefect server does not answer")))


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def deployments(tick_seconds: int):
    from flows.annual_report import annual_report_flow
    from flows.dispatch import dispatch_flow
    from flows.evaluation import formal_review_flow, scoring_flow
    from flows.housekeeping import one_at_a_time
    from flows.steps import case_step_flow
    from flows.summaries import case_summaries_flow
    from flows.tick import tick_flow

    return [
        tick_flow.to_deployment("tick", interval=timedelta(seconds=tick_seconds),
                                parameters={"interval_seconds": tick_seconds},  # late deadlines: 2 intervals
                                description="Fires every due deadline exactly once (invariant 4)."),
        # Housekeeping on demand: no schedule, no trigger; the tick asks for a run when the engine has work for
        # it, one run at a time (flows/housekeeping.py).
        dispatch_flow.to_deployment("notifications-dispatch", concurrency_limit=one_at_a_time(),
                                    description="Wysyłka powiadomień z kolejki (outbox), każde dokładnie raz."),
        case_summaries_flow.to_deployment("case-summaries", concurrency_limit=one_at_a_time(),
                                          description="Podsumowania spraw (artefakty) po zmianach w sprawach."),
        annual_report_flow.to_deployment("annual-report", description="Sprawozdanie z realizacji programu (art. 5a ust. 3)."),
        formal_review_flow.to_deployment("formal-review", description="Ocena formalna ofert (formularz)."),
        scoring_flow.to_deployment("committee-scoring", description="Ocena merytoryczna członka komisji (formularz)."),
        case_step_flow.to_deployment("case-step", description="Jeden krok urzędnika na sprawie."),
    ]


def startup_banner(url: str, log_path: Path, auth_path: Path) -> Message:
    """What ``coop serve`` says first: the engine's database (its password masked, invariant 12), the log, and
    where the auth string is (never the string itself)."""
    from models.db import shown_url

    shown = shown_url(url)
    return tr("Engine: {shown}\nThe Prefect API and UI ask for the auth string in {auth_path}\n"
              "Starting the Prefect server (log: {log_path}) ...", shown=shown, log_path=log_path, auth_path=auth_path)


def serve_engine(*, host: str, port: int, tick_seconds: int, poll_seconds: int, demo: bool | None) -> int:
    from flows.demo_programme import is_empty, load_demo
    from models.db import database_url
    from states.errors import DomainError

    url = database_url()
    auth_path = auth_file()
    try:
        auth = auth_string(auth_path)
    except AuthFileRefused as refusal:
        print(tr("error: {message}", message=refusal), file=sys.stderr)
        return 2
    if not port_free(host, port):
        print(tr("error: port {port} is busy; use --port", port=port),
              file=sys.stderr)
        return 2
    loaded: dict[str, str] = {}
    default_db = not os.environ.get("COOP_DATABASE_URL", "").strip()
    if demo or (demo is None and default_db and is_empty(url)):
        if not is_empty(url):
            print(tr("The engine's database is not empty: skipping the demo data."))
        else:
            try:
                loaded = load_demo(url)
            except DomainError as refusal:  # a real database: the demo's moments are not for it
                print(tr("Skipping the demo data: {reason}", reason=Localized(refusal.message)))
            else:
                print(tr("Loaded the demo programme (a simulation database): {values}", values=loaded.values()))
                from states.credentials import demo_accounts  # the desk's demo logins (docs/desk.md)

                demo_accounts(url)

    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "coop-serve-server.log"
    api = f"http://{host}:{port}/api"
    print(startup_banner(url, log_path, auth_path), flush=True)
    try:
        prefect_database = (None if os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL", "").strip()
                            else ensure_prefect_database(url))
    except PrefectDatabaseRefused as refusal:
        print(tr("error: {message}", message=refusal), file=sys.stderr)
        return 2
    server = start_server(host, port, log_path, auth, prefect_database)
    previous_int = signal.getsignal(signal.SIGINT)
    try:
        # Until the runner installs its SIGTERM handler, both signals simply stop everything.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
        wait_healthy(server, api)
        os.environ["PREFECT_API_URL"] = api
        os.environ["PREFECT_API_AUTH_STRING"] = auth  # this process, the runner and every flow run it starts
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        print(tr("UI: http://{host}:{port}  (API: {api})", host=host, port=port, api=api), flush=True)

        import asyncio

        from prefect.exceptions import TerminationSignal
        from prefect.runner import Runner

        from flows.automations import HEARTBEAT_SECONDS, ensure_automations, setup_message
        from flows.doors import close_doors, door_message, engine_is_simulation

        for row in ensure_automations():  # dead runs marked Crashed (deploy/automations/)
            print(setup_message(row), flush=True)
        planned = deployments(tick_seconds)
        # Prefect's serve(), in its parts: register every deployment, close its doors (no database_url, officer,
        # member; no `at` unless the engine's database is a simulation: flows/doors.py), only then take runs.
        # Every run's process heartbeats often enough for the crash automation's window (flows/automations.py).
        runner = Runner(query_seconds=poll_seconds, heartbeat_seconds=HEARTBEAT_SECONDS)
        for deployment in planned:
            runner.add_deployment(deployment)
        for row in close_doors(simulation=engine_is_simulation(url)):
            print(door_message(row), flush=True)
        # The demo's forms (its call in formal review, its call in scoring) are opened by the first tick, as any
        # call's are (flows/opening.py): nobody starts a form's deployment by hand.
        # Ctrl-C must reach the runner as SIGTERM: on SIGINT it left runs stuck in PENDING (stack-facts).
        signal.signal(signal.SIGINT, lambda *_: os.kill(os.getpid(), signal.SIGTERM))
        print(tr("Serving {count} deployments; Ctrl-C stops everything.", count=len(planned)), flush=True)
        try:
            asyncio.run(runner.start())
        except (KeyboardInterrupt, TerminationSignal):  # as serve() ends: the runner has cancelled and paused
            pass
        return 0
    except RuntimeError as error:
        print(tr("error: {message}", message=error), file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous_int)
        _drain()
        stop_server(server)
        print(tr("Stopped."), flush=True)


def _drain() -> None:
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (EventsWorker, APILogWorker):
        try:
            worker.drain_all(timeout=5)
        except Exception:  # noqa: BLE001 - best effort at exit; the domain already committed everything
            pass
