"""Serving the desk with uvicorn: alone (``coop desk``) or in a thread beside Prefect (``coop serve``)."""

from __future__ import annotations

import socket
import sys
import threading

from kernel.text import tr


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _server(host: str, port: int):
    import uvicorn

    from web.app import create_app

    # The desk reads the engine's database as the CLI does (COOP_DATABASE_URL or the default file).
    config = uvicorn.Config(create_app(), host=host, port=port, log_level="warning", access_log=False,
                            proxy_headers=False, server_header=False)
    return uvicorn.Server(config)


def _check(host: str, port: int) -> bool:
    if not _port_free(host, port):
        print(tr("error: port {port} is busy; use --desk-port (coop serve) or --port (coop desk)", port=port),
              file=sys.stderr)
        return False
    return True


def run_desk(host: str, port: int, *, demo_accounts: bool = False) -> int:
    """``coop desk``: the desk in this process until Ctrl-C."""
    from models.db import database_url
    from states.errors import DomainError

    if not _check(host, port):
        return 2
    if demo_accounts:
        from states.credentials import demo_accounts as make

        try:
            made = make(database_url())
        except DomainError as refusal:
            print(tr("error: {message}", message=refusal.message()), file=sys.stderr)
            return 2
        print(tr("Demo accounts made: {logins}", logins=made or "—"))
    print(tr("The officers' desk: {address} (Ctrl-C stops it)", address=address(host, port)), flush=True)
    _server(host, port).run()
    return 0


class DeskThread:
    """The desk served in a thread of ``coop serve``; ``stop()`` ends it."""

    def __init__(self, host: str, port: int) -> None:
        self.server = _server(host, port)
        self.thread = threading.Thread(target=self.server.run, name="coop-desk", daemon=True)

    def start(self) -> DeskThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def start_desk_thread(host: str, port: int) -> DeskThread | None:
    if not _check(host, port):
        return None
    desk = DeskThread(host, port).start()
    print(tr("The officers' desk: {address}", address=address(host, port)), flush=True)
    return desk
