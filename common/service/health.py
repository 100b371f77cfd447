"""The health endpoints, with the same paths and bodies in every service.

``GET /health`` is liveness: ``200 {"status": "ok"}`` as soon as the process serves requests.
``GET /health/ready`` is readiness: ``{"status": "ok" | "unavailable", "checks": {"<name>": "ok" | "unavailable:
<reason>"}}``, 200 when every check passes and 503 otherwise. A service names its checks (``database`` always);
a check is a function that returns normally or raises, and the reason given is the exception's ``code`` or
type name, never its message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

#: Readiness checks of a request's application: name -> a function that raises when the part is not ready.
ReadinessChecks = Callable[[Request], Mapping[str, Callable[[], object]]]

OK: Final = "ok"
UNAVAILABLE: Final = "unavailable"
_NO_STORE: Final = {"Cache-Control": "no-store"}


def health_router(checks: ReadinessChecks) -> APIRouter:
    """The two health routes; ``checks`` gives the readiness checks of the application serving a request."""
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness")
    async def health() -> JSONResponse:
        return JSONResponse({"status": OK}, headers=_NO_STORE)

    @router.get("/health/ready", summary="Readiness")
    async def ready(request: Request) -> JSONResponse:
        results = {name: await run_in_threadpool(_run, check) for name, check in checks(request).items()}
        ok = all(result == OK for result in results.values())
        return JSONResponse(
            {"status": OK if ok else UNAVAILABLE, "checks": results},
            status_code=200 if ok else 503,
            headers=_NO_STORE,
        )

    return router


def _run(check: Callable[[], object]) -> str:
    try:
        check()
    except Exception as exc:
        reason = getattr(exc, "code", None)
        return f"{UNAVAILABLE}: {reason if isinstance(reason, str) else type(exc).__name__}"
    return OK
