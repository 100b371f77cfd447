"""JSON request bodies bounded in nesting before any route parses them.

FastAPI reads a JSON body with the standard library, which recurses once per level: a body of a few kilobytes of
``[`` ends in a ``RecursionError`` deep inside the framework. This middleware reads every JSON body (``application/
json`` or ``+json``; already bounded in size by the body limit) with the engine's parser and refuses one nested
deeper than the engine walks (:data:`vc.encoding.MAX_JSON_DEPTH`) with a ``400`` problem ``request.json_too_deep``;
other bodies, and JSON the parser refuses for another reason, go on to the route unchanged (it answers them).
"""

from __future__ import annotations

from email.message import Message as MimeHeader
from functools import lru_cache

import orjson
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from common.service.middleware import replaying
from common.service.problems import PROBLEM_JSON, problem
from vc.encoding import MAX_JSON_DEPTH, check_depth
from vc.errors import FormatError


@lru_cache(maxsize=64)
def is_json(content_type: str) -> bool:
    """Whether a ``Content-Type`` names JSON (``application/json``, ``application/*+json``); kept for the last 64
    header values, since parsing a MIME header costs more than the rest of this middleware's common case."""
    header = MimeHeader()
    header["content-type"] = content_type
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def too_deep(body: bytes) -> bool:
    """Whether ``body``, read as JSON, nests deeper than :data:`MAX_JSON_DEPTH` (False when it is not JSON)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False  # each level opens with one of them: a body with few (a token, its options) is never parsed
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return "depth" in str(exc).lower() or "recursion" in str(exc).lower()  # orjson's own bound (1024 levels)
    try:
        check_depth(value)
    except FormatError:
        return True
    return False


class JsonDepthMiddleware:
    """Refuses JSON request bodies nested deeper than :data:`MAX_JSON_DEPTH` with a 400 problem."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers", ())).get(b"content-type", b"").decode("latin-1")
        if scope["type"] != "http" or not content_type or not is_json(content_type):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if too_deep(body):
            content = problem(
                status=400,
                code="request.json_too_deep",
                title="JSON nested too deeply",
                detail=f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels",
                found=f"more than {MAX_JSON_DEPTH} levels",
                expected=f"at most {MAX_JSON_DEPTH} levels",
            )
            await JSONResponse(content, status_code=400, media_type=PROBLEM_JSON)(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)
