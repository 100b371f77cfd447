"""HTTP for the wallet: the shared bounded fetcher (:mod:`common.fetch`) in the wallet's words.

Every URL the wallet is handed — in an offer, in issuer metadata, in a presentation request — is checked
by :func:`check_url` before anything is sent to it (https, or plain http only to this machine, for development).
Redirects are never followed, answers are size- and time-bounded, and failures become
:class:`~wallet_cli.errors.NetworkError` (cannot reach, unusable answer) with what was asked of whom.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import httpx

from common import fetch
from vc import ConfigurationError
from vc.errors import FormatError
from wallet_cli.documents import read_object
from wallet_cli.errors import NetworkError, RefusedError, UsageError

#: Largest answer read from an issuer or verifier (status lists are the largest: a few kilobytes).
MAX_ANSWER_BYTES: Final = 2 * 1024 * 1024
USER_AGENT: Final = "tawtiq-wallet/0.1"
#: Seconds to connect, to wait for each read, and for a whole exchange.
TIMEOUTS: Final = fetch.Timeouts(connect_seconds=5.0, read_seconds=15.0, total_seconds=30.0)


def check_url(url: Any, *, what: str) -> str:
    """Return ``url`` if the wallet may talk to it: ``https``, or ``http`` on a loopback host (development).

    Raises :class:`RefusedError` ``url.insecure`` or ``url.invalid`` naming ``what`` the URL was for.
    """
    if not isinstance(url, str) or not url:
        raise RefusedError(f"the {what} URL is missing", code="url.invalid", found=url, expected="an https URL")
    try:
        fetch.check_fetchable(url)
    except fetch.UrlRefusedError as exc:
        if exc.code == "fetch.url_insecure":
            raise RefusedError(
                f"the {what} URL is plain http: anyone on the network could read or change what is sent",
                code="url.insecure",
                found=url,
                expected="an https URL (http is accepted only for 127.0.0.1/localhost, for development)",
            ) from None
        raise RefusedError(
            f"the {what} URL is not an https URL with a host and without credentials",
            code="url.invalid",
            found=url,
            expected="https://host/...",
        ) from None
    if urlsplit(url).fragment:
        raise RefusedError(f"the {what} URL carries a fragment", code="url.invalid", found=url, expected="a plain URL")
    return url


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (:func:`common.fetch.origin_of`), or ``url`` itself when it has none.

    For showing; to compare two URLs use :func:`common.fetch.same_origin`.
    """
    return fetch.origin_of(url) or url


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, read completely (within the size bound)."""

    url: str
    status: int
    content_type: str
    body: bytes
    what: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def oauth_error(self) -> tuple[str, str]:
        """``(error, description)`` of an error answer, or placeholders.

        Reads an OAuth error object (``error``, ``error_description``) and an RFC 9457 problem detail (``code``,
        ``detail``) alike: the issuer answers with the first on its OAuth and OpenID4VCI endpoints and with the
        second elsewhere (the credential offer, the back office).
        """
        try:
            document = read_object(self.body, what=f"the {self.what} answer")
        except FormatError:  # not JSON, not an object, or nested deeper than the engine walks
            return f"http_{self.status}", self.text[:200]
        error = document.get("error") or document.get("code")
        description = document.get("error_description") or document.get("detail")
        return (
            error if isinstance(error, str) else f"http_{self.status}",
            description if isinstance(description, str) else "",
        )


class Http:
    """The wallet's HTTP client. ``ca_file`` adds trust anchors (a development issuer's certificate)."""

    def __init__(
        self,
        *,
        ca_file: Path | None = None,
        timeouts: fetch.Timeouts = TIMEOUTS,
        transport: httpx.BaseTransport | None = None,
        fetcher: fetch.Fetcher | None = None,
    ) -> None:
        """``fetcher`` replaces HTTP altogether (the shared in-memory fake, in tests)."""
        self._http: fetch.HttpFetcher | None = None
        if fetcher is None:
            try:
                client = fetch.http_client(
                    timeouts=timeouts, user_agent=USER_AGENT, ca_file=ca_file, transport=transport
                )
            except ConfigurationError as exc:
                raise UsageError(
                    exc.summary,
                    code="ca_file.unreadable",
                    expected="a PEM certificate (TAWTIQ_WALLET_CA_FILE / --ca-file)",
                ) from exc
            fetcher = self._http = fetch.HttpFetcher(client, total_timeout_seconds=timeouts.total_seconds)
        self._fetcher: fetch.Fetcher = fetcher

    @property
    def fetcher(self) -> fetch.Fetcher:
        """The shared fetcher underneath, for the shared readers (:mod:`common.issuer_keys`)."""
        return self._fetcher

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        data: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request to a checked URL and read the whole answer. Raises :class:`NetworkError`."""
        check_url(url, what=what)
        sent = dict(headers or {})
        body: bytes | None = None
        if data is not None:
            body = urlencode(data).encode("ascii")
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            sent["Content-Type"] = "application/json"
        try:
            response = self._fetcher.fetch(url, method=method, headers=sent, body=body, max_bytes=MAX_ANSWER_BYTES)
        except fetch.FetchError as exc:
            raise network_error(exc, what=what, url=url) from exc
        except fetch.UrlRefusedError as exc:  # check_url ran above: kept for a URL only the shared rule refuses
            raise RefusedError(f"the {what} URL is refused: {exc.summary}", code="url.invalid", found=url) from exc
        return Answer(
            url=url, status=response.status, content_type=response.content_type, body=response.body, what=what
        )

    def get(self, url: str, *, what: str, accept: str = "application/json") -> Answer:
        return self.request("GET", url, what=what, headers={"Accept": accept})

    def post_form(self, url: str, form: dict[str, str], *, what: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request(
            "POST", url, what=what, data=form, headers={"Accept": "application/json", **(headers or {})}
        )

    def post_json(self, url: str, body: Any, *, what: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request(
            "POST", url, what=what, json_body=body, headers={"Accept": "application/json", **(headers or {})}
        )

    def delete(self, url: str, *, what: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("DELETE", url, what=what, headers=headers)


def network_error(exc: fetch.FetchError, *, what: str, url: str) -> NetworkError:
    """The shared fetcher's error in the wallet's words."""
    where = origin_of(url)
    if exc.code == "fetch.tls":
        return NetworkError(
            f"cannot reach the {what} at {where}: its TLS certificate is not trusted",
            code="network.tls",
            hint="For a development issuer with a self-signed certificate, pass its certificate with --ca-file "
            "(or TAWTIQ_WALLET_CA_FILE).",
        )
    if exc.code == "fetch.unreachable":
        return NetworkError(
            f"cannot reach the {what} at {where}: {exc.found}",
            code="network.unreachable",
            hint="Check the address and your connection, then try again.",
        )
    if exc.code == "fetch.timeout":
        return NetworkError(f"the {what} at {where} did not answer in time", code="network.timeout")
    if exc.code == "fetch.redirect":
        return NetworkError(
            f"the {what} answered with a redirect, which the wallet does not follow",
            code="network.redirect",
            found=exc.found,
            expected="a direct answer",
        )
    if exc.code == "fetch.http_status":
        return NetworkError(
            f"the {what} at {where} answered HTTP {exc.found}",
            code="network.unexpected_answer",
            found=exc.found,
            expected=exc.expected,
        )
    if exc.code == "fetch.too_large":
        return NetworkError(
            f"the {what} answer is too large", code="network.too_large", found=where, expected=exc.expected
        )
    return NetworkError(f"talking to the {what} at {where} failed: {exc.summary}", code="network.failed")


def unexpected(answer: Answer, *, expected: str) -> NetworkError:
    """A :class:`NetworkError` for an answer that is not what the protocol says it should be."""
    error, description = answer.oauth_error()
    return NetworkError(
        f"the {answer.what} answered HTTP {answer.status}"
        + (f" ({error}: {description})" if description else f" ({error})"),
        code="network.unexpected_answer",
        found=f"HTTP {answer.status} from {origin_of(answer.url)}",
        expected=expected,
    )
