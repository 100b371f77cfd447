"""Never a 500: malformed bodies, headers, content types and path values at every endpoint get a clear 4xx."""

from __future__ import annotations

import asyncio
import html
import io
import json
import logging
from typing import Any

import pytest
from PIL import Image

from common.service import BodyLimit
from tests.common.sqlite_lock import held_write_lock
from verifier.routes import api, oid4vp, pages, shares

BODIES: list[tuple[str, bytes]] = [
    ("application/json", b""),
    ("application/json", b"{"),
    ("application/json", b"[]"),
    ("application/json", b'"text"'),
    ("application/json", b"null"),
    ("application/json", b"1e999999"),
    ("application/json", b'{"verifiableCredential": 123, "verifiablePresentation": [], "options": "x"}'),
    ("application/json", b'{"verifiableCredential": {"type": ["EnvelopedVerifiableCredential"], "id": 5}}'),
    ("application/json", b'{"presentation": "", "expires_in": "soon", "claims": "familyName"}'),
    ("application/json", b'{"presentation": "a~b~c", "expires_in": 99999999999999999999999}'),
    ("application/json", '{"verifiableCredential": "\ud800"}'.encode("utf-8", "surrogatepass")),
    ("application/json", bytes(range(256))),
    ("text/plain", b"hello"),
    ("application/x-www-form-urlencoded", b"%%%=&&=%zz&input=%ff%fe"),
    ("application/x-www-form-urlencoded", b"vp_token=%7B&state=" + b"x" * 5000),
    ("multipart/form-data", b"--x\r\n"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--\r\n"),
    ("multipart/form-data; boundary=x", b"garbage"),
    ("application/xml", b"<a/>"),
    ("", b"\x00\x01"),
]
PATH_VALUES = ["x", "A" * 300, "%00", "%F0%9F%92%A9", "..%2F..%2Fetc"]


def _routes() -> list[tuple[str, str]]:
    found = []
    for router in (api.router, oid4vp.router, pages.router, shares.router):
        for route in router.routes:
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD":
                    found.append((method, route.path))  # type: ignore[attr-defined]
    return sorted(set(found))


def _fill(path: str, value: str) -> str:
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + value + path[end + 1 :]
    return path


def test_every_endpoint_answers_malformed_input_without_a_server_error(client):
    routes = _routes()
    assert ("POST", "/credentials/verify") in routes
    assert ("DELETE", "/shares/{share_id}") in routes
    failures = []
    for method, template in routes:
        for value in PATH_VALUES:
            path = _fill(template, value)
            for content_type, body in BODIES if method in ("POST", "DELETE") else [("", b"")]:
                headers = {"Content-Type": content_type} if content_type else {}
                headers["Accept"] = "*/*;q=garbage, application/json"
                headers["Authorization"] = "Bearer \x7f" if method == "DELETE" else "Basic Zm9v"
                response = client.request(method, path, content=body, headers=headers)
                if response.status_code >= 500:
                    failures.append((method, path[:60], content_type, body[:40], response.status_code))
                elif response.status_code >= 400 and method != "GET":
                    kind = response.headers.get("content-type", "")
                    if not kind.startswith(("application/problem+json", "application/json", "text/html")):
                        failures.append((method, path[:60], content_type, body[:40], kind))
    assert failures == []


def test_problem_details_are_rfc_9457(client):
    response = client.post("/credentials/verify", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert set(problem) >= {"type", "title", "status", "detail", "code"}
    assert problem["status"] == 400
    assert "input" not in json.dumps(problem.get("errors", []))  # submitted values are never echoed


@pytest.mark.parametrize(
    ("path", "size", "status"),
    [("/credentials/verify", 300 * 1024, 413), ("/verify/qr", 300 * 1024, 422), ("/verify/qr", 9 * 1024 * 1024, 413)],
)
def test_bodies_are_bounded(client, path, size, status):
    if path == "/verify/qr":
        response = client.post(
            path, files={"image": ("big.png", b"\x89PNG" + bytes(size), "image/png")}, data={"lang": "en"}
        )
        assert response.status_code in (status, 400)
    else:
        response = client.post(path, content=b"x" * size, headers={"Content-Type": "application/json"})
        assert response.status_code == status
        assert response.json()["code"] == "request.too_large"


def test_a_streamed_body_without_length_is_counted():
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - must not be reached
        raise AssertionError("the application must not see an oversized body")

    async def run() -> None:
        chunks = [{"type": "http.request", "body": b"x" * 1000, "more_body": True} for _ in range(5)]

        async def receive() -> dict[str, Any]:
            return chunks.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        middleware = BodyLimit(app, max_body_bytes=2048, larger={"/verify/qr": 4096})
        scope = {"type": "http", "path": "/credentials/verify", "headers": [], "method": "POST"}
        await middleware(scope, receive, send)

    asyncio.run(run())
    assert sent[0]["status"] == 413


def test_a_malformed_content_length_is_refused():
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - must not be reached
        raise AssertionError

    async def run() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        middleware = BodyLimit(app, max_body_bytes=2048, larger={"/verify/qr": 4096})
        scope = {"type": "http", "path": "/", "headers": [(b"content-length", b"12x")], "method": "POST"}
        await middleware(scope, receive, send)

    asyncio.run(run())
    assert sent[0]["status"] == 400


def test_a_huge_declared_image_is_refused_before_decoding(client):
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # tiny file, 400 megapixels
    assert len(out.getvalue()) < 200_000
    response = client.post(
        "/verify/qr", files={"image": ("bomb.png", out.getvalue(), "image/png")}, data={"lang": "fr"}
    )
    assert response.status_code == 413
    assert "L'image est trop grande." in html.unescape(response.text)


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("GIF", 415, "Ce type de fichier n'est pas accepté. Envoyez une image PNG, JPEG ou WebP."),
        ("EPS", 415, "Ce type de fichier n'est pas accepté. Envoyez une image PNG, JPEG ou WebP."),
        ("truncated", 400, "Le fichier n'est pas une image lisible."),
    ],
)
def test_an_upload_of_another_type_or_a_damaged_file_is_refused(client, kind, status, message):
    out = io.BytesIO()
    if kind == "EPS":
        out.write(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    else:
        Image.new("RGB", (300, 200), "white").save(out, "GIF" if kind == "GIF" else "PNG")
    content = out.getvalue() if kind != "truncated" else out.getvalue()[:-40]
    response = client.post("/verify/qr", files={"image": ("photo", content, "image/png")}, data={"lang": "fr"})
    assert response.status_code == status
    assert message in html.unescape(response.text)


def test_security_headers_and_request_log_without_capabilities(client, caplog):
    response = client.get("/")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    caplog.set_level(logging.INFO, logger="tawtiq.verifier")
    client.get("/s/abcdefgh12345678")
    client.get("/oid4vp/requests/secrethandle99/qr.svg")
    client.get("/oid4vp/secrettransaction7/result")
    lines = [record.getMessage() for record in caplog.records if record.name == "tawtiq.verifier"]
    assert any(line.startswith("GET /s/{share_id} -> ") for line in lines), lines
    assert not [line for line in lines if "abcdefgh12345678" in line or "secret" in line]


def test_an_oversized_upload_from_the_page_gets_a_page(client):
    response = client.post(
        "/verify/qr?lang=fr",
        files={"image": ("big.png", b"\x89PNG" + bytes(9 * 1024 * 1024), "image/png")},
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Le fichier ou le texte envoyé est trop volumineux." in html.unescape(response.text)


def test_a_database_outage_is_a_503_and_verification_goes_on(client, issuer, holder, monkeypatch):
    from sqlalchemy.exc import OperationalError

    database = client.app.state.services.database

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(database, "session", down)
    monkeypatch.setattr(database, "upsert", down)
    refused = client.post("/shares/nonce")
    assert refused.status_code == 503
    assert refused.json()["code"] == "database.unavailable"
    assert refused.headers["retry-after"] == "5"
    answer = client.post("/credentials/verify", json={"verifiableCredential": issuer.issue_w3c(holder).token})
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "valid"  # the caches are only caches


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [65, 900, 5000, 60_000])
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/credentials/verify", '{"verifiableCredential": %s}'),
        ("/presentations/verify", '{"verifiablePresentation": "x", "options": {"challenge": %s}}'),
        ("/oid4vp/requests", '{"claims": %s}'),
        ("/shares", '{"presentation": %s}'),
    ],
)
def test_deeply_nested_json_is_a_400_problem(client, path, template, depth):
    body = (template % _nested(depth)).encode()
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "request.json_too_deep"
    assert "64 levels" in response.json()["detail"]


def test_json_within_the_nesting_bound_reaches_the_route(client):
    envelope: Any = {"type": ["EnvelopedVerifiableCredential"], "id": "data:application/vc+sd-jwt,x"}
    for _ in range(40):
        envelope = {"nested": envelope}
    response = client.post("/credentials/verify", json={"verifiableCredential": envelope})
    assert response.status_code == 200  # an unsecured JSON object: verified, and refused by the engine
    assert response.json()["verdict"] == "invalid"


def test_a_deeply_nested_trust_list_is_refused_at_start_up(make_settings, tmp_path):
    from vc import ConfigurationError
    from verifier.app import create_app

    nested = tmp_path / "nested.json"
    nested.write_text('{"version": "1", "issuers": ' + _nested(100) + "}")
    app = create_app(make_settings(trust_list=str(nested)))
    with pytest.raises(ConfigurationError, match="nested too deeply"):
        app.state.services.start()


def test_a_deeply_nested_status_list_is_indeterminate_not_a_crash(client, issuer, holder):
    from tests.verifier.fake_issuer import Answer
    from vc.encoding import b64url_encode
    from vc.jose import sign_compact

    diploma = issuer.issue_w3c(holder)
    payload = '{"credentialSubject": ' + _nested(100_000) + "}"
    for deep in (
        sign_compact(header={"alg": "ES256", "typ": "vc+jwt"}, payload=payload.encode(), key=issuer.signing_key()),
        b64url_encode(b'{"alg":"ES256"}') + "." + b64url_encode(payload.encode()) + ".AAAA",
    ):
        issuer.overrides["/status/bitstring/revocation"] = Answer(200, deep.encode())
        response = client.post("/credentials/verify", json={"verifiableCredential": diploma.token})
        assert response.status_code == 200, response.text
        check = next(c for c in response.json()["report"]["checks"] if c["check"] == "status")
        assert check["outcome"] != "passed"
        assert response.json()["verdict"] != "valid"


def _qr_photo() -> bytes:
    from common.qr import qr_png

    return qr_png("hello")


def test_qr_uploads_are_rate_limited_per_client(make_client):
    client = make_client(qr_rate_limit=2)
    for _ in range(2):
        answer = client.post("/verify/qr", files={"image": ("qr.png", _qr_photo(), "image/png")}, data={"lang": "en"})
        assert answer.status_code == 200  # read, and verified (as not a credential)
    limited = client.post("/verify/qr", files={"image": ("qr.png", _qr_photo(), "image/png")}, data={"lang": "en"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many requests. Try later." in html.unescape(limited.text)


def test_when_every_decoding_slot_is_taken_an_upload_is_answered_503_at_once(make_client):
    client = make_client(qr_max_concurrent_decodes=2)
    slots = client.app.state.services.qr_uploads._slots  # held as two decodes in progress would hold them
    assert slots.acquire(blocking=False)
    assert slots.acquire(blocking=False)
    try:
        busy = client.post("/verify/qr", files={"image": ("qr.png", _qr_photo(), "image/png")}, data={"lang": "en"})
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "2"
        assert "Other pictures are being read right now." in html.unescape(busy.text)
    finally:
        slots.release()
        slots.release()
    freed = client.post("/verify/qr", files={"image": ("qr.png", _qr_photo(), "image/png")}, data={"lang": "en"})
    assert freed.status_code == 200


def test_a_locked_database_is_a_503_with_retry_after(client, sqlite_url):
    with held_write_lock(sqlite_url):  # a bulk job holding the lock past the busy timeout
        refused = client.post("/shares/nonce")
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert refused.json()["code"] == "database.busy"
    assert client.post("/shares/nonce").status_code == 200
