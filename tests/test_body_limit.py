"""A request body sent without Content-Length (chunked) is read at most to the largest a door takes, then refused
(413) before any route or form parser sees it (web/security.py ``ChunkedBodyLimit``): the doors' own pre-checks read
the Content-Length header, which a chunked upload does not send. The layer alone on plain ASGI messages (fast),
then the desk's application on both databases: the portal's form page and the JSON door."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from web.security import ChunkedBodyLimit, largest_body


def run(layer, chunks: list[bytes], headers=()) -> tuple[list[dict], list[bytes]]:
    """``layer`` over an app that reads the whole body; the messages sent back and the bodies the app saw."""
    seen: list[bytes] = []

    async def app(scope, receive, send):
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        seen.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/portal/x", "headers": list(headers)}
    asyncio.run(layer(app)(scope, receive, send))
    return sent, seen


@pytest.mark.fast
def test_a_chunked_body_over_the_limit_is_refused_before_the_app_reads_it():
    def limited(app):
        return ChunkedBodyLimit(app, limit=1000)

    sent, seen = run(limited, [b"x" * 600, b"x" * 401])
    assert seen == [] and sent[0]["status"] == 413
    assert "nic nie zostało zapisane" in sent[1]["body"].decode().lower()
    sent, seen = run(limited, [b"a" * 600, b"b" * 400])  # at the limit: the app reads it whole, as sent
    assert seen == [b"a" * 600 + b"b" * 400] and sent[0]["status"] == 200
    # with Content-Length the server frames the body and the doors check the header: passed on as it comes
    sent, seen = run(limited, [b"x" * 600, b"x" * 600], headers=[(b"content-length", b"1200")])
    assert seen == [b"x" * 1200] and sent[0]["status"] == 200


def test_the_desks_doors_refuse_a_chunked_body_too_large(db_url):
    from web.app import create_app

    client = TestClient(create_app(db_url))
    too_large = b"x" * (largest_body() + 1)

    def chunked():  # a generator: httpx sends it chunked, without Content-Length
        yield too_large

    page = client.post("/portal/oferty/nowa/OK/2026/001", content=chunked(),
                       headers={"content-type": "multipart/form-data; boundary=b"})
    assert page.status_code == 413 and "Traceback" not in page.text
    door = client.post("/api/v1/oferty/zalaczniki", content=chunked(),
                       headers={"content-type": "application/json", "authorization": "Bearer x"})
    assert door.status_code == 413 and door.json()["rule"] == "body_too_large"
