"""The verifier's one settings object, read from ``TAWTIQ_VERIFIER_*`` environment variables and validated at start-up.

Unsafe configurations are refused rather than repaired: a public URL that is plain ``http`` on a non-loopback
host, a missing or placeholder secret in production, no trust list, or bounds that contradict each other.
Units are in the names (``_seconds``, ``_bytes``). The fields every service has (database, body bound, migration
policy, log level) come from :class:`common.service.ServiceSettings`.
"""

from __future__ import annotations

import secrets
import warnings
from pathlib import Path
from typing import Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from common.qr import DEFAULT_MAX_PIXELS, MAX_PIXELS_CEILING
from common.service.settings import ServiceSettings
from keys.strength import HMAC_KEY, guessable_secret_problem
from vc.urls import is_loopback_host

#: Secrets that ship in examples and must never run in production.
_PLACEHOLDER_SECRETS: Final = frozenset({"changeme", "change-me", "secret", "development", "test", "password"})
_MIN_SECRET_CHARS: Final = 32


class UnsafeSettingsWarning(UserWarning):
    """A development-only setting is in use."""


class Settings(ServiceSettings):
    """Every knob of the verifier service. Build it with ``Settings()`` (environment) or keyword arguments (tests)."""

    model_config = SettingsConfigDict(env_prefix="TAWTIQ_VERIFIER_", frozen=True, extra="forbid")

    #: ``production`` refuses development shortcuts; ``development`` allows an ephemeral secret.
    environment: Literal["production", "development"] = "production"
    #: Where wallets and browsers reach this service; request_uri, response_uri and share links are built on it.
    public_url: str = "http://127.0.0.1:8200"
    #: SQLAlchemy URL: SQLite (embedded default) or ``postgresql+psycopg://…`` in production.
    database_url: str = "sqlite:///tawtiq-verifier.sqlite3"
    #: The trust list: a file path or an https URL (http only for loopback hosts).
    trust_list: str = ""
    #: How often a trust list given by URL is fetched again.
    trust_list_refresh_seconds: int = Field(default=3600, ge=10)
    #: Key for the keyed hashes in logs and rate-limit buckets (never logged). Required in production.
    secret_key: SecretStr | None = None
    #: Extra PEM trust anchors for issuers' TLS certificates (the system store is always used too).
    ca_file: Path | None = None

    http_connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    http_read_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    #: Whole-fetch deadline, connection included.
    http_total_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    #: Largest issuer metadata document (jwt-vc-issuer, did.json, JWKS) accepted.
    metadata_max_bytes: int = Field(default=256 * 1024, ge=1024)
    #: How long issuer keys are reused before asking again, and how long a stale copy may stand in.
    metadata_ttl_seconds: int = Field(default=3600, ge=1)
    metadata_max_stale_seconds: int = Field(default=7 * 24 * 3600, ge=0)
    #: At most one forced metadata refresh per issuer in this window (an unknown ``kid`` triggers one).
    metadata_refresh_floor_seconds: int = Field(default=60, ge=0)
    #: Largest status-list document as fetched (before decompression).
    status_list_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: Largest decompressed status list.
    status_list_max_decompressed_bytes: int = Field(default=4 * 1024 * 1024, ge=16 * 1024)
    #: Freshness of a status list that names no ttl/max-age, and the bounds on what a list may ask for.
    status_default_ttl_seconds: int = Field(default=300, ge=1)
    status_min_ttl_seconds: int = Field(default=10, ge=0)
    status_max_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    #: How old a cached list may be when the issuer cannot be reached (the report states the age).
    status_max_stale_seconds: int = Field(default=24 * 3600, ge=0)
    #: How old the status data may be for a person opening a page (a share link, a pasted credential, a wallet's
    #: answer): an older kept copy is revalidated with its ETag first. Machine clients keep the issuer's TTL.
    page_status_max_age_seconds: int = Field(default=60, ge=0)

    #: Threads fetching issuers' keys and status lists for verifications (a pool of their own: a slow issuer
    #: never holds the threads that serve other requests; requests for the same document share one fetch).
    fetch_workers: int = Field(default=8, ge=1, le=64)
    #: After an issuer failed to answer, how long before it is asked again (a stale copy, if any, answers meanwhile).
    upstream_retry_seconds: int = Field(default=5, ge=0, le=3600)

    #: Largest request body on JSON and form endpoints, and on the QR-image upload.
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    #: Largest image (in pixels) decoded when looking for a QR code (why 40 megapixels: see
    #: :data:`common.qr.DEFAULT_MAX_PIXELS`); at most Pillow's own decompression-bomb bound, which stays behind it.
    max_upload_pixels: int = Field(default=DEFAULT_MAX_PIXELS, ge=10_000, le=MAX_PIXELS_CEILING)
    #: QR photos one client address may upload per window, and how many one process decodes at once (each may
    #: hold ~190 MB at the pixel bound; one more is answered 503 with Retry-After, not queued).
    qr_rate_limit: int = Field(default=60, ge=1)
    qr_rate_window_seconds: int = Field(default=3600, ge=1)
    qr_max_concurrent_decodes: int = Field(default=2, ge=1, le=64)
    #: One INFO line per verification (verdict, profile, trusted issuer, a keyed hash of the credential, problem
    #: codes), in place of the request log's line for the verification endpoints; ``false`` leaves the request log.
    log_verifications: bool = True
    #: How recent a key-binding JWT must be when a presentation reaches us.
    presentation_max_age_seconds: int = Field(default=300, ge=10, le=3600)

    #: Life of an OpenID4VP transaction (request retrieval and answer), and how long its result stays readable.
    oid4vp_transaction_seconds: int = Field(default=600, ge=30, le=3600)
    oid4vp_result_seconds: int = Field(default=900, ge=30, le=24 * 3600)

    #: OpenID4VP requests one client address may start per window (each is a database row until it expires).
    oid4vp_rate_limit: int = Field(default=120, ge=1)
    oid4vp_rate_window_seconds: int = Field(default=3600, ge=1)
    #: The verifier's access certificate from a registrar: a directory with ``chain.pem`` and the encrypted
    #: ``key.pem`` (``tawtiq verifier cert issue``); its passphrase in ``TAWTIQ_VERIFIER_KEY_PASSPHRASE`` or the file
    #: named by ``TAWTIQ_VERIFIER_KEY_PASSPHRASE_FILE``. With it, Request Objects are signed; without it they are
    #: unsigned (``redirect_uri:``) and wallets show the verifier as not authenticated.
    oid4vp_certificate_dir: Path | None = None
    #: The Client Identifier Prefix (OpenID4VP 1.0 §5.9.3): ``x509_hash`` (HAIP; the default with a certificate),
    #: ``x509_san_dns``, or ``redirect_uri`` (the default without one).
    oid4vp_client_id_prefix: Literal["x509_hash", "x509_san_dns", "redirect_uri"] | None = None

    #: Life of a share nonce; default, smallest and largest life of a share link.
    share_nonce_seconds: int = Field(default=300, ge=30, le=3600)
    share_default_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    share_min_seconds: int = Field(default=3600, ge=60)
    share_max_seconds: int = Field(default=90 * 24 * 3600, ge=60)
    #: Share links and share nonces one client address may create per window.
    share_rate_limit: int = Field(default=20, ge=1)
    share_rate_window_seconds: int = Field(default=3600, ge=1)
    #: Bytes of randomness in a share link id (12 bytes: 16 characters, 96 bits).
    share_id_bytes: int = Field(default=12, ge=12, le=32)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"public_url must be an absolute http(s) URL, got {value!r}")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError(
                f"public_url {value!r} is plain http on a non-loopback host; wallets would send presentations "
                "in clear. Use https (http is allowed only for 127.0.0.1/localhost during development)."
            )
        if parts.query or parts.fragment:
            raise ValueError(f"public_url must not have a query or fragment, got {value!r}")
        return value.rstrip("/")

    @field_validator("trust_list")
    @classmethod
    def _trust_list(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "no trust list configured: set TAWTIQ_VERIFIER_TRUST_LIST to a file or an https URL of the "
                "versioned trust list (a verifier that trusts nobody cannot answer anything)"
            )
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.share_min_seconds <= self.share_default_seconds <= self.share_max_seconds:
            raise ValueError("share_min_seconds <= share_default_seconds <= share_max_seconds must hold")
        if self.status_min_ttl_seconds > self.status_max_ttl_seconds:
            raise ValueError("status_min_ttl_seconds must not exceed status_max_ttl_seconds")
        if self.oid4vp_certificate_dir is None and self.oid4vp_client_id_prefix in ("x509_hash", "x509_san_dns"):
            raise ValueError(
                f"TAWTIQ_VERIFIER_OID4VP_CLIENT_ID_PREFIX={self.oid4vp_client_id_prefix} signs requests with an access "
                "certificate: set TAWTIQ_VERIFIER_OID4VP_CERTIFICATE_DIR (from `tawtiq verifier cert issue`)"
            )
        if self.oid4vp_certificate_dir is not None and self.oid4vp_client_id_prefix == "redirect_uri":
            raise ValueError(
                "TAWTIQ_VERIFIER_OID4VP_CLIENT_ID_PREFIX=redirect_uri sends unsigned requests, yet an access "
                "certificate is configured: choose x509_hash or x509_san_dns, or remove the certificate"
            )
        if self.max_upload_bytes < self.max_body_bytes:
            raise ValueError("max_upload_bytes must be at least max_body_bytes")
        if self.secret_key is not None:
            secret = self.secret_key.get_secret_value()
            if len(secret) < _MIN_SECRET_CHARS or secret.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"TAWTIQ_VERIFIER_SECRET_KEY must be a random string of at least {_MIN_SECRET_CHARS} characters, "
                    f"found {len(secret)} characters; make one with `openssl rand -base64 32`"
                )
            problem = guessable_secret_problem(secret, variable="TAWTIQ_VERIFIER_SECRET_KEY", bound=HMAC_KEY)
            if problem is not None:
                raise ValueError(problem)
        elif self.environment == "production":
            raise ValueError(
                "TAWTIQ_VERIFIER_SECRET_KEY is required in production (at least 32 random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`); set "
                "TAWTIQ_VERIFIER_ENVIRONMENT=development to run with an ephemeral key"
            )
        return self

    def secret_bytes(self) -> bytes:
        """The secret key, or in development a fresh ephemeral one (warned about: hashes change on restart)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode("utf-8")
        warnings.warn(
            "no TAWTIQ_VERIFIER_SECRET_KEY: using an ephemeral key (development only); log hashes and "
            "rate-limit buckets will not match across restarts or replicas",
            UnsafeSettingsWarning,
            stacklevel=2,
        )
        return secrets.token_bytes(32)

    @property
    def oid4vp_response_uri(self) -> str:
        """The one ``response_uri`` of this verifier (``direct_post``)."""
        return f"{self.public_url}/oid4vp/response"

    @property
    def oid4vp_prefix(self) -> Literal["x509_hash", "x509_san_dns", "redirect_uri"]:
        """The Client Identifier Prefix in force (see :mod:`verifier.client_identity`)."""
        if self.oid4vp_client_id_prefix is not None:
            return self.oid4vp_client_id_prefix
        return "redirect_uri" if self.oid4vp_certificate_dir is None else "x509_hash"

    @property
    def share_audience(self) -> str:
        """The KB-JWT ``aud`` a presentation for a share link must carry; distinct from the OpenID4VP client id."""
        return f"{self.public_url}/shares"
