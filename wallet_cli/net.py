"""HTTP for the wallet: https only (plain http only to this machine, for development), bounded and explicit.

Every URL the wallet is handed — in an offer, in issuer metadata, in a presentation request — is checked
by :func:`check_url` before anything is sent to it. Redirects are never followed, answers are size-bounded,
and failures become :class:`~wallet_cli.errors.NetworkError` (cannot reach, unusable answer) with what
was asked of whom.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from vc.urls import is_loopback_host
from wallet_cli.errors import NetworkError, RefusedError, UsageError

#: Largest answer read from an issuer or verifier (status lists are the largest: a few kilobytes).
MAX_ANSWER_BYTES: Final = 2 * 1024 * 1024
USER_AGENT: Final = "tawtiq-wallet/0.1"


def check_url(url: Any, *, what: str) -> str:
    """Return ``url`` if the wallet may talk to it: ``https``, or ``http`` on a loopback host (development).

    Raises :class:`RefusedError` ``url.insecure`` or ``url.invalid`` naming ``what`` the URL was for.
    """
    if not isinstance(url, str) or not url:
        raise RefusedError(f"the {what} URL is missing", code="url.invalid", found=url, expected="an https URL")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise RefusedError(f"the {what} URL is not a valid URL", code="url.invalid", found=url) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RefusedError(
            f"the {what} URL is not an https URL", code="url.invalid", found=url, expected="https://host/..."
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise RefusedError(
            f"the {what} URL is plain http: anyone on the network could read or change what is sent",
            code="url.insecure",
            found=url,
            expected="an https URL (http is accepted only for 127.0.0.1/localhost, for development)",
        )
    if parts.username or parts.password or parts.fragment:
        raise RefusedError(
            f"the {what} URL carries credentials or a fragment", code="url.invalid", found=url, expected="a plain URL"
        )
    return url


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (lower-cased host)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


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

    def json(self) -> Any:
        """The body as JSON. Raises :class:`NetworkError` ``network.not_json``."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise NetworkError(
                f"the {self.what} answer is not JSON",
                code="network.not_json",
                found=f"HTTP {self.status} {self.content_type or 'without a content type'} from {self.url}",
            ) from None

    def json_object(self) -> dict[str, Any]:
        value = self.json()
        if not isinstance(value, dict):
            raise NetworkError(
                f"the {self.what} answer is not a JSON object", code="network.not_json", found=type(value).__name__
            )
        return value

    def oauth_error(self) -> tuple[str, str]:
        """``(error, error_description)`` of an OAuth-style error answer, or placeholders."""
        try:
            document = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return f"http_{self.status}", self.text[:200]
        if not isinstance(document, dict):
            return f"http_{self.status}", ""
        error, description = document.get("error"), document.get("error_description") or document.get("detail")
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
        timeout_seconds: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        context = httpx.create_ssl_context()
        if ca_file is not None:
            try:
                context.load_verify_locations(cafile=str(ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise UsageError(
                    f"the CA file {ca_file} cannot be used: {exc}",
                    code="ca_file.unreadable",
                    expected="a PEM certificate (TAWTIQ_WALLET_CA_FILE / --ca-file)",
                ) from exc
        self._client = httpx.Client(
            verify=context,
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

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
        try:
            with self._client.stream(method, url, data=data, json=json_body, headers=headers) as response:
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
                    raise _too_large(what, url)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise _too_large(what, url)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                status = response.status_code
        except httpx.ConnectError as exc:
            certificate = "CERTIFICATE" in str(exc).upper()
            raise NetworkError(
                f"cannot reach the {what} at {origin_of(url)}"
                + (": its TLS certificate is not trusted" if certificate else f": {_reason(exc)}"),
                code="network.tls" if certificate else "network.unreachable",
                hint="For a development issuer with a self-signed certificate, pass its certificate with --ca-file "
                "(or TAWTIQ_WALLET_CA_FILE)."
                if certificate
                else "Check the address and your connection, then try again.",
            ) from exc
        except httpx.TimeoutException as exc:
            raise NetworkError(
                f"the {what} at {origin_of(url)} did not answer in time", code="network.timeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise NetworkError(
                f"talking to the {what} at {origin_of(url)} failed: {_reason(exc)}", code="network.failed"
            ) from exc
        if 300 <= status < 400:
            raise NetworkError(
                f"the {what} answered with a redirect, which the wallet does not follow",
                code="network.redirect",
                found=f"HTTP {status} to {response.headers.get('location')}",
                expected="a direct answer",
            )
        return Answer(url=url, status=status, content_type=content_type, body=bytes(body), what=what)

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


def _too_large(what: str, url: str) -> NetworkError:
    return NetworkError(
        f"the {what} answer is too large",
        code="network.too_large",
        found=origin_of(url),
        expected=f"<= {MAX_ANSWER_BYTES} bytes",
    )


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


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
