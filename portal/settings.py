"""The portal's one settings object (``TAWTIQ_PORTAL_*``), validated once at start-up.

The portal shares the ministry's database with the issuer and the exam year (its own tables, its own version
table), logs candidates in through an OpenID Connect provider (the national eID; ``tawtiq serve eid`` in
development), and serves one exam session at a time. The service refuses to start without a secret key (it
keys the stored digests of session ids and the CSRF tokens) or the eID client's secret; the settings refuse a
weak secret key and a public URL that would send session cookies in clear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from common.identity import ACR_LEVELS
from common.service.settings import ServiceSettings
from keys.passphrase import load_passphrase
from keys.strength import HMAC_KEY, guessable_secret_problem
from vc.errors import ConfigurationError
from vc.urls import is_loopback_host

_PLACEHOLDER_SECRETS: Final = frozenset({"changeme", "change-me", "secret", "development", "test", "password"})
_MIN_SECRET_CHARS: Final = 32
_AUDIT_FILE: Final = "TAWTIQ_PORTAL_AUDIT_PASSPHRASE_FILE"
#: The level of assurance the national eID gives for a card and its PIN.
LOA_HIGH: Final = "urn:tawtiq:eid:loa:high"


class Settings(ServiceSettings):
    """Every knob of the portal. Build it with ``Settings()`` (environment) or keyword arguments (tests)."""

    model_config = SettingsConfigDict(env_prefix="TAWTIQ_PORTAL_", frozen=True, extra="forbid", env_ignore_empty=True)

    #: Where candidates' browsers reach the portal; the eID redirects back to ``{public_url}/login/callback``.
    public_url: str = "http://127.0.0.1:8400"
    #: The ministry's database (the issuer's and the exam year's); default: the issuer's default SQLite file.
    database_url: str | None = None
    #: The data directory whose ``issuer.sqlite3`` is the default database (as ``TAWTIQ_DATA_DIR``).
    data_dir: Path = Path(".tawtiq")
    #: The eID provider's OpenID Connect discovery document.
    eid_discovery_url: str = "http://127.0.0.1:8300/.well-known/openid-configuration"
    #: The portal's client id at the eID provider, and a file holding its client secret (never the secret itself).
    eid_client_id: str = "portal"
    eid_client_secret_file: Path | None = None
    #: The level of assurance a login must reach (the ID token's ``acr``).
    required_acr: str = LOA_HIGH
    #: A file holding the ministry's key passphrase (the issuer's ``TAWTIQ_KEY_PASSPHRASE``): the audit log's key
    #: derives from it, and the portal appends the candidates' confirmations, corrections and the reviewers'
    #: decisions to that log. Required to start.
    audit_passphrase_file: Path | None = None
    #: The exam session the portal serves (its name in the registry, e.g. ``2025-normale``).
    exam_session: str = Field(default="2025-normale", min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")
    #: Keys the stored digests of session ids and the CSRF tokens. No default: the service refuses to start
    #: without one (:meth:`secret_bytes`).
    secret_key: SecretStr | None = None
    #: A session ends after this long without a request, and in any case this long after the login.
    session_idle_seconds: int = Field(default=30 * 60, ge=60, le=24 * 3600)
    session_absolute_seconds: int = Field(default=8 * 3600, ge=300, le=7 * 24 * 3600)
    #: How long a login may take between leaving for the eID and coming back.
    login_seconds: int = Field(default=600, ge=60, le=3600)
    #: The verifier the diploma page makes share links at (its ``/shares`` API), reached with the bounded fetcher.
    verifier_url: str = "http://127.0.0.1:8200"
    #: Encrypts, at rest, the holder keys the ministry keeps for graduates who share from the portal (and the
    #: copies and revoke tokens that go with them). No default: sharing from the portal is refused without one
    #: (:meth:`holder_key_bytes`); the rest of the portal works. Changing it makes the kept keys unreadable.
    holder_key_secret: SecretStr | None = None
    #: The registrars' CA certificates (PEM) that vouch for verifiers signing their OpenID4VP requests; without it
    #: the diploma page answers only requests of verifiers no registrar vouches for (``redirect_uri:``), saying so.
    registrars_file: Path | None = None
    #: Largest form body accepted (a correction request is a few hundred bytes).
    max_body_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"TAWTIQ_PORTAL_PUBLIC_URL must be an absolute http(s) URL; found {value!r}")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError(
                f"TAWTIQ_PORTAL_PUBLIC_URL {value!r} is plain http on a non-loopback host: session cookies would "
                "travel in clear. Use https (http only for 127.0.0.1/localhost during development)."
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"TAWTIQ_PORTAL_PUBLIC_URL must be an origin without path or query; found {value!r}")
        return f"{parts.scheme}://{parts.netloc.lower()}"

    @field_validator("required_acr")
    @classmethod
    def _acr(cls, value: str) -> str:
        if value not in ACR_LEVELS:
            raise ValueError(f"TAWTIQ_PORTAL_REQUIRED_ACR must be one of {', '.join(ACR_LEVELS)}; found {value!r}")
        return value

    @field_validator("eid_discovery_url")
    @classmethod
    def _discovery_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"TAWTIQ_PORTAL_EID_DISCOVERY_URL must be an absolute URL; found {value!r}")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError(
                f"TAWTIQ_PORTAL_EID_DISCOVERY_URL must use https off loopback (tokens would travel in clear); "
                f"found {value!r}"
            )
        return value.strip()

    @field_validator("verifier_url")
    @classmethod
    def _verifier_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"TAWTIQ_PORTAL_VERIFIER_URL must be an absolute http(s) URL; found {value!r}")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError(
                f"TAWTIQ_PORTAL_VERIFIER_URL must use https off loopback (presentations would travel in clear); "
                f"found {value!r}"
            )
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _secret(self) -> Self:
        if self.secret_key is not None:
            secret = self.secret_key.get_secret_value()
            if len(secret) < _MIN_SECRET_CHARS or secret.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"TAWTIQ_PORTAL_SECRET_KEY must be a random string of at least {_MIN_SECRET_CHARS} characters; "
                    f"found {len(secret)} characters"
                )
            problem = guessable_secret_problem(secret, variable="TAWTIQ_PORTAL_SECRET_KEY", bound=HMAC_KEY)
            if problem is not None:
                raise ValueError(problem)
        if self.holder_key_secret is not None:
            held = self.holder_key_secret.get_secret_value()
            if len(held) < _MIN_SECRET_CHARS or held.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"TAWTIQ_PORTAL_HOLDER_KEY_SECRET must be a random string of at least {_MIN_SECRET_CHARS} "
                    f"characters; found {len(held)} characters"
                )
            problem = guessable_secret_problem(held, variable="TAWTIQ_PORTAL_HOLDER_KEY_SECRET", bound=HMAC_KEY)
            if problem is not None:
                raise ValueError(problem)
            if self.secret_key is not None and held == self.secret_key.get_secret_value():
                raise ValueError("TAWTIQ_PORTAL_HOLDER_KEY_SECRET must differ from TAWTIQ_PORTAL_SECRET_KEY")
        if self.session_idle_seconds > self.session_absolute_seconds:
            raise ValueError(
                "TAWTIQ_PORTAL_SESSION_IDLE_SECONDS must not exceed TAWTIQ_PORTAL_SESSION_ABSOLUTE_SECONDS"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the issuer's default SQLite file under the data directory."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'issuer.sqlite3').resolve()}"

    @property
    def redirect_uri(self) -> str:
        """Where the eID sends the browser back after the login."""
        return f"{self.public_url}/login/callback"

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` unless the portal is served on a loopback host (development over http)."""
        host = urlsplit(self.public_url).hostname or ""
        return not (urlsplit(self.public_url).scheme == "http" and is_loopback_host(host))

    def secret_bytes(self) -> bytes:
        """The secret key. Raises :class:`ConfigurationError` ``portal.secret_key`` when it is not set: the service
        refuses to start without one (commands that only touch the database do not need it)."""
        if self.secret_key is None:
            raise ConfigurationError(
                "the portal needs a secret key: it keys the session digests and the CSRF tokens",
                code="portal.secret_key",
                found="TAWTIQ_PORTAL_SECRET_KEY unset",
                expected="at least 32 random characters, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`",
            )
        return self.secret_key.get_secret_value().encode("utf-8")

    def holder_key_bytes(self) -> bytes:
        """The secret the held holder keys are encrypted with. Raises :class:`ConfigurationError`
        ``portal.holder_key_secret`` when it is not set (sharing from the portal is then refused)."""
        if self.holder_key_secret is None:
            raise ConfigurationError(
                "sharing from the portal is not configured: no secret to encrypt the held holder keys with",
                code="portal.holder_key_secret",
                found="TAWTIQ_PORTAL_HOLDER_KEY_SECRET unset",
                expected="at least 32 random characters, distinct from TAWTIQ_PORTAL_SECRET_KEY",
            )
        return self.holder_key_secret.get_secret_value().encode("utf-8")

    def audit_passphrase(self) -> bytes:
        """The passphrase the audit key derives from, read from its file and checked for strength. Raises
        :class:`ConfigurationError` (``key.passphrase_missing``, ``key.passphrase_file_unreadable``,
        ``key.passphrase_weak``…) naming ``TAWTIQ_PORTAL_AUDIT_PASSPHRASE_FILE``."""
        environ = {} if self.audit_passphrase_file is None else {_AUDIT_FILE: str(self.audit_passphrase_file)}
        return load_passphrase(environ, variable="TAWTIQ_PORTAL_AUDIT_PASSPHRASE", file_variable=_AUDIT_FILE)

    def client_secret(self) -> str:
        """The eID client secret, read from its file. Raises :class:`ConfigurationError` ``portal.client_secret``."""
        path = self.eid_client_secret_file
        if path is None:
            raise ConfigurationError(
                "the eID client secret is not configured",
                code="portal.client_secret",
                found="TAWTIQ_PORTAL_EID_CLIENT_SECRET_FILE unset",
                expected="a file holding the client secret the eID provider gave the portal",
            )
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                "the eID client secret file cannot be read",
                code="portal.client_secret",
                found=f"{path}: {exc.strerror or type(exc).__name__}",
                expected="a readable file holding the client secret",
            ) from exc
        if not secret:
            raise ConfigurationError(
                "the eID client secret file is empty",
                code="portal.client_secret",
                found=f"{path}: empty",
                expected="a file holding the client secret",
            )
        return secret
