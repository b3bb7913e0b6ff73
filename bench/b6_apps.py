"""The two applications B6 (bench/b6_rush.py) serves with uvicorn, each a factory (``uvicorn --factory``):

- ``desk``: the desk's own application (web/app.py ``create_app``), on the database of ``COOP_DATABASE_URL`` as
  the CLI and ``coop desk`` read it; its JSON door ``POST /api/v1/oferty`` is what the organisations hit;
- ``bare``: the floor beside it, a minimal FastAPI application whose one endpoint (the same path, the same JSON
  body and headers) inserts one row into a table on the same PostgreSQL server (``B6_BARE_URL``), through
  SQLAlchemy's pool as the engine connects (``pool_pre_ping``), in a worker thread as the door runs its command.

Both are wrapped by ``Arrival``, which stamps each answer with the moment its request reached the application
(``X-B6-Arrived``, seconds since the epoch by this machine's clock): the client learns whether a request sent just
before the deadline reached the server before it, whatever happened to it afterwards (queueing, a retry).
"""

# No ``from __future__ import annotations``: FastAPI reads the route's annotations (``Request``) at run time.
import os
import time

ARRIVED = "x-b6-arrived"
BARE_TABLE = "b6_bare"


class Arrival:
    """Pure ASGI: the moment the request reached the application, in a header of its answer."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        arrived = f"{time.time():.6f}".encode()

        async def stamped(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (ARRIVED.encode(), arrived)]}
            await send(message)

        await self.app(scope, receive, stamped)


def desk():
    from web.app import create_app

    return Arrival(create_app())


def bare_table_sql() -> str:
    return (f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id BIGSERIAL PRIMARY KEY, idempotency_key TEXT NOT NULL "
            f"UNIQUE, organisation_krs TEXT NOT NULL, received_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP)")


def bare():
    import json

    import sqlalchemy as sa
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    from models.db import normalise_url

    engine = sa.create_engine(normalise_url(os.environ["B6_BARE_URL"]), pool_pre_ping=True)
    # One row a request; a retried key inserts nothing more and reads the row it made.
    insert = sa.text(f"INSERT INTO {BARE_TABLE} (idempotency_key, organisation_krs) VALUES (:key, :krs) "
                     f"ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key "
                     f"RETURNING id, received_at")
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def write(key: str, krs: str) -> dict:
        with engine.begin() as connection:
            row = connection.execute(insert, {"key": key, "krs": krs}).one()
        return {"id": row.id, "received_at": row.received_at.isoformat()}

    @app.post("/api/v1/oferty")
    async def one_row(request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key", "")
        body = json.loads(await request.body())
        return JSONResponse(await run_in_threadpool(write, key, str(body["organisation_krs"])), status_code=201)

    @app.get("/zdrowie")
    def health() -> dict:
        return {"ok": True}

    return Arrival(app)
