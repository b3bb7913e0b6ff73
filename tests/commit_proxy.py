"""A TCP proxy between the engine and PostgreSQL that loses COMMITs, for the tests of invariant 10.

It forwards every byte both ways and reads the client's side of the protocol just enough to find a COMMIT:
psycopg 3 sends it as a simple query, a 'Q' message whose text is ``COMMIT``. Then, for the COMMITs it is told
to cut:

- ``lose="reply"``: the COMMIT goes to the server, the proxy waits for the server's answer (the transaction is
  committed by then), drops it and closes the client's connection: the client cannot know it committed;
- ``lose="request"``: the COMMIT never reaches the server; both connections are closed and the server rolls
  the transaction back.

With ``down_after_cut`` the proxy stops listening after its first cut: the database is out of reach.
Encryption requests (SSL, GSS) are answered "no" by the proxy itself, so the rest is plain protocol.
Threads, 127.0.0.1, every wait bounded.
"""

from __future__ import annotations

import socket
import struct
import threading

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104
WAIT = 10.0  # seconds any one wait may take


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class CommitProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432), *, cuts: int | None = 1,
                 lose: str = "reply", down_after_cut: bool = False) -> None:
        assert lose in ("reply", "request")
        self.upstream, self.lose, self.down_after_cut = upstream, lose, down_after_cut
        self.cuts_left = cuts  # None: every COMMIT
        self.commits = 0  # COMMITs seen
        self.cut = 0  # COMMITs cut
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._listening = True
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    def url(self, database_url: str) -> str:
        """``database_url`` (postgresql://user@host:port/name) through this proxy."""
        scheme, rest = database_url.split("://", 1)
        credentials, _, location = rest.rpartition("@")
        _, _, name = location.partition("/")
        return f"{scheme}://{credentials + '@' if credentials else ''}127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> CommitProxy:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._listening = False
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)
        for thread in self._threads:
            thread.join(WAIT)

    # --- inside ---------------------------------------------------------------------------------------------

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        try:
            while self._listening:
                try:
                    client, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:  # shut down by a cut: down
                    return
                if not self._listening:  # came in while the cut was shutting the door
                    self._close(client)
                    return
                client.settimeout(WAIT * 6)
                server = socket.create_connection(self.upstream, timeout=WAIT)
                server.settimeout(WAIT * 6)
                with self._lock:
                    self.connections += 1
                    self._sockets += [client, server]
                link = {"muted": threading.Event(), "answered": threading.Event()}
                self._spawn(self._from_client, client, server, link)
                self._spawn(self._from_server, server, client, link)
        finally:
            self._listener.close()  # from now on a connection is refused

    def _take_cut(self) -> bool:
        with self._lock:
            self.commits += 1
            if self.cuts_left is not None and self.cuts_left <= 0:
                return False
            if self.cuts_left is not None:
                self.cuts_left -= 1
            self.cut += 1
            if self.down_after_cut:
                self._listening = False
                self._close(self._listener)  # refused from now on (a blocked accept returns at once)
            return True

    def _from_client(self, client: socket.socket, server: socket.socket, link: dict) -> None:
        try:
            while True:  # the startup phase: untyped messages (length, code)
                head = _exactly(client, 4)
                body = _exactly(client, struct.unpack("!I", head)[0] - 4)
                if struct.unpack("!I", body[:4])[0] in (SSL_REQUEST, GSSENC_REQUEST):
                    client.sendall(b"N")  # no encryption: the client goes on in plain text
                    continue
                server.sendall(head + body)
                break
            while True:
                kind = _exactly(client, 1)
                head = _exactly(client, 4)
                body = _exactly(client, struct.unpack("!I", head)[0] - 4)
                if kind == b"Q" and body.rstrip(b"\0").strip().upper() in (b"COMMIT", b"COMMIT;") and self._take_cut():
                    if self.lose == "reply":
                        link["muted"].set()
                        server.sendall(kind + head + body)
                        link["answered"].wait(WAIT)  # the server answered: the transaction is committed
                    if self.down_after_cut:
                        self._drop_all()
                    return
                server.sendall(kind + head + body)
        except (ConnectionError, OSError):
            return
        finally:
            self._close(client)
            self._close(server)

    def _from_server(self, server: socket.socket, client: socket.socket, link: dict) -> None:
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    return
                if link["muted"].is_set():
                    link["answered"].set()
                    continue
                client.sendall(data)
        except (ConnectionError, OSError):
            return
        finally:
            link["answered"].set()
            self._close(client)

    def _drop_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
