"""Share links, holder first: a presentation left at a verifier, opened by anyone with the link until it expires
or the holder withdraws it.

The wallet asks the verifier for a nonce and the audience to address (``POST {V}/shares/nonce``), presents the
diploma with a KB-JWT for exactly that audience and nonce, and leaves it (``POST {V}/shares``); the answer
carries the link, its expiry and a revoke token the wallet keeps encrypted. ``GET`` of the link with
``Accept: application/json`` re-verifies it live; ``DELETE {V}/shares/{id}`` with the revoke token withdraws it.

The audience must be on the verifier's own origin: a verifier that named another audience (say, another
verifier's OpenID4VP client id) could replay the presentation there in the holder's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from common.fetch import same_origin
from wallet_cli.documents import answer_object
from wallet_cli.errors import NetworkError, RefusedError
from wallet_cli.model import Share
from wallet_cli.net import Answer, Http, check_url, origin_of, unexpected

_MIN_NONCE_CHARS: Final = 16

PresentationBuilder = Callable[[str, str], str]


@dataclass(frozen=True)
class CreatedShare:
    """What the verifier answered when the link was made."""

    id: str
    url: str
    expires_at: datetime
    revoke_token: str
    verdict: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class LiveShare:
    """What opening a link shows now: ``state`` is ``valid``/``invalid``/``indeterminate`` or ``gone``/``unknown``."""

    state: str
    problems: tuple[str, ...] = ()
    claims: Mapping[str, Any] | None = None


def verifier_base(url: str) -> str:
    """The verifier's base URL as given with ``--verifier`` (checked, without a trailing slash)."""
    return check_url(url.strip(), what="verifier").rstrip("/")


def _problems(document: Mapping[str, Any]) -> tuple[str, ...]:
    details = document.get("problemDetails")
    if not isinstance(details, list):
        return ()
    return tuple(
        f"[{item.get('checkCode') or item.get('title')}] {item.get('detail')}"
        for item in details
        if isinstance(item, Mapping)
    )


def _parse_time(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise NetworkError(
            f"the verifier's {what} is not a time", code="network.unexpected_answer", found=value
        ) from None
    if moment.tzinfo is None:
        raise NetworkError(f"the verifier's {what} has no time zone", code="network.unexpected_answer", found=value)
    return moment


def create_share(http: Http, base: str, *, expires_in: timedelta, present: PresentationBuilder) -> CreatedShare:
    """Make a share link at the verifier ``base``; ``present(audience, nonce)`` builds the presentation.

    Raises :class:`RefusedError` when the verifier refuses (the presentation does not verify, a bad
    lifetime) and :class:`NetworkError` when it cannot answer (including its rate limit).
    """
    answer = http.request("POST", f"{base}/shares/nonce", what="verifier", headers={"Accept": "application/json"})
    _raise_for_refusal(answer.status, _body(answer), what="nonce")
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with a share nonce")
    document = answer_object(answer)
    nonce, audience = document.get("nonce"), document.get("audience")
    if not isinstance(nonce, str) or len(nonce) < _MIN_NONCE_CHARS or not isinstance(audience, str):
        raise NetworkError("the verifier's share nonce is malformed", code="network.unexpected_answer", found=document)
    if not same_origin(check_url(audience, what="share audience"), base):
        raise RefusedError(
            "the verifier asked for a presentation addressed to another site; it could be replayed there",
            code="share.audience_foreign",
            found=audience,
            expected=f"an audience on {origin_of(base)}",
        )
    presentation = present(audience, nonce)
    answer = http.post_json(
        f"{base}/shares", {"presentation": presentation, "expires_in": int(expires_in.total_seconds())}, what="verifier"
    )
    body = _body(answer)
    _raise_for_refusal(answer.status, body, what="share")
    if answer.status != 201:
        raise unexpected(answer, expected="HTTP 201 with the share link")
    identifier, url, token = body.get("id"), body.get("url"), body.get("revoke_token")
    if not all(isinstance(value, str) and value for value in (identifier, url, token)):
        raise NetworkError("the verifier's answer lacks the link or its revoke token", code="network.unexpected_answer")
    assert isinstance(identifier, str)
    assert isinstance(url, str)
    assert isinstance(token, str)
    if not same_origin(check_url(url, what="share link"), base):
        raise NetworkError(
            "the share link is on another site than the verifier", code="network.unexpected_answer", found=url
        )
    return CreatedShare(
        id=identifier,
        url=url,
        expires_at=_parse_time(body.get("expires_at"), "expiry"),
        revoke_token=token,
        verdict=str(body.get("verdict", "unknown")),
        problems=_problems(body),
    )


def _body(answer: Answer) -> Mapping[str, Any]:
    """The answer's JSON object, or an empty one when it has none (an error page)."""
    try:
        return answer_object(answer)
    except NetworkError:
        return {}


def _raise_for_refusal(status: int, body: Mapping[str, Any], *, what: str) -> None:
    detail = body.get("detail") or body.get("error_description") or body.get("title") or ""
    if status == 429:
        raise NetworkError(
            "the verifier limits how many links one address may create; try again later",
            code="share.rate_limited",
        )
    if status == 503:
        raise NetworkError(
            f"the verifier cannot check the diploma now: {detail}".rstrip(": "), code="share.unavailable"
        )
    if status in (400, 422):
        problems = _problems(body)
        raise RefusedError(
            f"the verifier refused the {what}: {detail}".rstrip(": ")
            + ("".join(f"\n  {problem}" for problem in problems)),
            code="share.refused",
        )


def open_share(http: Http, url: str) -> LiveShare:
    """Open a link as anyone would, asking for JSON: the verdict now, or ``gone``."""
    answer = http.get(url, what="share link")
    if answer.status == 410:
        return LiveShare("gone")
    if answer.status == 404:
        return LiveShare("unknown")
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with the verification")
    body = answer_object(answer)
    report = body.get("report")
    claims = report.get("claims") if isinstance(report, Mapping) else None
    return LiveShare(
        str(body.get("verdict", "unknown")), _problems(body), claims if isinstance(claims, Mapping) else None
    )


def withdraw(http: Http, share: Share) -> bool:
    """End a link with its revoke token. Returns False when the verifier had already ended it (expired).

    Raises :class:`RefusedError` when the verifier refuses the token.
    """
    if share.revoke_token is None:
        return False
    answer = http.delete(
        f"{share.verifier}/shares/{quote(share.link_id, safe='')}",
        what="verifier",
        headers={"Authorization": f"Bearer {share.revoke_token}"},
    )
    if answer.status == 204:
        return True
    if answer.status in (404, 410):
        return False
    if answer.status in (401, 403):
        raise RefusedError("the verifier refused the link's revoke token", code="share.revoke_refused")
    raise unexpected(answer, expected="HTTP 204")
