"""W3C VC-API / VCALM verification endpoints for machine clients.

``POST /credentials/verify`` takes ``{"verifiableCredential": <credential>, "options": {}}`` and
``POST /presentations/verify`` takes ``{"verifiablePresentation": <presentation>, "options": {"challenge",
"domain"}}``. A credential or presentation is a compact token (``vc+sd-jwt``, ``dc+sd-jwt``, ``vc+jwt``,
``vp+jwt``, SD-JWT+KB), a ``data:application/…,`` URL, or an ``EnvelopedVerifiableCredential`` /
``EnvelopedVerifiablePresentation`` object whose ``id`` is such a data URL. The answer is always ``200`` when the
verification could be carried out, whatever its outcome::

    {"verified": false, "verdict": "invalid",
     "problemDetails": [{"type": "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR", "code": -65,
                         "title": "CRYPTOGRAPHIC_SECURITY_ERROR", "detail": "…", "check": "signature",
                         "checkCode": "signature.invalid"}],
     "report": {…the full report: verdict, every check, claims, status ages, trust_list_version…}}

``verdict`` tells ``invalid`` from ``indeterminate`` (a check that could not be done, e.g. an unreachable status
list), which ``verified: false`` alone does not. Malformed requests get ``400`` with a problem detail; an option
this service does not know gets ``400`` with the VCALM type ``UNKNOWN_OPTION_PROVIDED``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Final, TypeVar

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verifier.errors import RequestError
from verifier.json_bodies import is_json
from verifier.reporting import verification_response
from verifier.routes import JsonAnswer
from verifier.services import Services
from verifier.verification import Expectations

router = APIRouter(tags=["VC-API"])

UNKNOWN_OPTION: Final = "https://www.w3.org/TR/vcalm#UNKNOWN_OPTION_PROVIDED"
_CREDENTIAL_OPTIONS: Final = frozenset({"returnCredential"})
_PRESENTATION_OPTIONS: Final = frozenset({"challenge", "domain", "returnPresentation"})
#: The routes whose every answer is one verification (and its log line, see :mod:`verifier.verification`).
VERIFY_ROUTES: Final = frozenset({"/credentials/verify", "/presentations/verify"})


class VerifyCredentialRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    verifiableCredential: str | dict[str, Any] = Field(  # noqa: N815 - the VCALM member name
        description="A compact token, a data: URL or an envelope"
    )
    options: dict[str, Any] = Field(default_factory=dict)


class VerifyPresentationRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    verifiablePresentation: str | dict[str, Any] = Field(  # noqa: N815 - the VCALM member name
        description="A compact token, a data: URL or an envelope"
    )
    options: dict[str, Any] = Field(default_factory=dict)


BodyT = TypeVar("BodyT", bound=BaseModel)


async def read_body(request: Request, model: type[BodyT]) -> BodyT:
    """The request's JSON body as ``model``, read as FastAPI reads a body parameter (JSON when the ``Content-Type``
    is JSON or absent), without its per-request dependency resolution: these routes verify on every request, and
    the framework's generic pass costs more than the rest of the request around the verification.

    Raises :class:`RequestValidationError` (a 400 problem) for a missing, malformed or ill-shaped body, with the
    locations FastAPI gives (``body``, then the member).
    """
    raw = await request.body()
    content_type = request.headers.get("content-type")
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    data: Any = raw
    if not content_type or is_json(content_type):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {}}
            raise RequestValidationError([error | {"ctx": {"error": exc.msg}}]) from exc
        except UnicodeDecodeError as exc:
            error = {"type": "json_invalid", "loc": ("body", exc.start), "msg": "JSON is not UTF-8 text", "input": {}}
            raise RequestValidationError([error]) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([error | {"loc": ("body", *error["loc"])} for error in errors]) from exc


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads ``model`` itself (:func:`read_body`)."""
    schema = {"content": {"application/json": {"schema": model.model_json_schema()}}, "required": True}
    return {"requestBody": schema}


class UnknownOptionError(RequestError):
    default_code = "vcalm.unknown_option"
    problem_type = UNKNOWN_OPTION


def _check_options(options: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise UnknownOptionError(
            f"unknown option(s) {unknown}; this service understands {sorted(allowed)}",
            found=unknown,
            expected=sorted(allowed),
        )
    for name, value in options.items():
        if name.startswith("return") and not isinstance(value, bool):
            raise RequestError(f"options.{name} must be a boolean", code="vcalm.option_invalid", found=value)
        if name in ("challenge", "domain") and not isinstance(value, str):
            raise RequestError(
                f"options.{name} must be a string", code="vcalm.option_invalid", found=type(value).__name__
            )


def envelope_token(value: str | dict[str, Any], *, kind: str) -> str:
    """The token inside a request value: the string itself, or the ``id`` of an ``Enveloped…`` object.

    Any other object is passed on as JSON, which the engine refuses as unsecured (``format.unsecured``).
    Raises :class:`RequestError` for an envelope of the wrong kind or without a ``data:`` id.
    """
    if isinstance(value, str):
        return value
    types = value.get("type")
    names = {types} if isinstance(types, str) else set(types) if isinstance(types, list) else set()
    other = "Presentation" if kind == "Credential" else "Credential"
    if f"EnvelopedVerifiable{other}" in names:
        raise RequestError(
            f"an EnvelopedVerifiable{other} was sent where a {kind.lower()} is expected", code="vcalm.envelope_kind"
        )
    if f"EnvelopedVerifiable{kind}" in names:
        data_url = value.get("id")
        if not isinstance(data_url, str) or not data_url.startswith("data:"):
            raise RequestError(
                f"an EnvelopedVerifiable{kind} needs a data: URL as its id",
                code="vcalm.envelope_invalid",
                found=type(data_url).__name__,
            )
        return data_url
    return json.dumps(value, ensure_ascii=False)


@router.post(
    "/credentials/verify",
    summary="Verify a credential (VCALM)",
    response_class=JsonAnswer,
    openapi_extra=_documented(VerifyCredentialRequest),
)
async def verify_credential(request: Request) -> JsonAnswer:
    # No dependencies: the body and the services are read here (see read_body).
    body = await read_body(request, VerifyCredentialRequest)
    services: Services = request.app.state.services
    _check_options(body.options, _CREDENTIAL_OPTIONS)
    token = envelope_token(body.verifiableCredential, kind="Credential")
    verification = await services.verifier.verify_async(token, expect=Expectations(holder_binding=False))
    answer = verification_response(verification.report, verification.trusted)
    if body.options.get("returnCredential"):
        answer["verifiableCredential"] = body.verifiableCredential
    return JsonAnswer(answer)


@router.post(
    "/presentations/verify",
    summary="Verify a presentation (VCALM)",
    response_class=JsonAnswer,
    openapi_extra=_documented(VerifyPresentationRequest),
)
async def verify_presentation(request: Request) -> JsonAnswer:
    body = await read_body(request, VerifyPresentationRequest)
    services: Services = request.app.state.services
    _check_options(body.options, _PRESENTATION_OPTIONS)
    token = envelope_token(body.verifiablePresentation, kind="Presentation")
    expect = Expectations(
        holder_binding=True,
        audience=body.options.get("domain"),
        nonce=body.options.get("challenge"),
        max_age=timedelta(seconds=services.settings.presentation_max_age_seconds),
    )
    verification = await services.verifier.verify_async(token, expect=expect)
    answer = verification_response(verification.report, verification.trusted)
    if "challenge" not in body.options:
        answer["warnings"] = [
            {
                "type": "https://tawtiq.ma/ns/problems#NO_CHALLENGE",
                "title": "NO_CHALLENGE",
                "detail": "no options.challenge was given, so a replayed presentation would not be detected",
            }
        ]
    if body.options.get("returnPresentation"):
        answer["verifiablePresentation"] = body.verifiablePresentation
    return JsonAnswer(answer)
