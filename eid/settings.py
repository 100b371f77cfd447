"""The development eID provider's one settings object, from ``TAWTIQ_EID_*`` environment variables.

It refuses to exist unless development mode is set explicitly (``TAWTIQ_EID_DEVELOPMENT=true``): this service
stands in for the national eID provider on a developer's machine and in tests, and must never be mistaken for it.
Units are in the names (``_seconds``). The fields every service has come from :class:`ServiceSettings`; this one
keeps no database (its state lives in the process, see :mod:`eid.provider`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from common.service.settings import ServiceSettings
from vc.urls import is_loopback_host

#: What a refusal to start says (the command and the settings both use it).
DEVELOPMENT_ONLY: Final = (
    "the eID provider here is a development stand-in for the national eID, not an identity provider: it starts "
    "only when development mode is set explicitly (TAWTIQ_EID_DEVELOPMENT=true or --development)"
)


class Settings(ServiceSettings):
    """Every knob of the development eID provider. ``Settings()`` reads the environment; tests pass keywords."""

    model_config = SettingsConfigDict(env_prefix="TAWTIQ_EID_", frozen=True, extra="forbid")

    #: Must be true: the service refuses to start otherwise (:data:`DEVELOPMENT_ONLY`).
    development: bool = False
    #: The issuer identifier (``iss``) and the base of every endpoint in the discovery document.
    public_url: str = "http://127.0.0.1:8300"
    #: Where the signing key and the pseudonym secret are kept (created 0700 at first start).
    data_dir: Path = Path("tawtiq-eid")
    #: The people who can log in: ``tawtiq eid identities --from candidates.csv --out identities.json``.
    identities_file: Path = Path("identities.json")
    #: The relying parties: ``[{"client_id", "client_secret", "redirect_uris"}]`` (``tawtiq eid client add``).
    clients_file: Path = Path("clients.json")
    #: When set, the file holding the passphrase that encrypts the signing key; else the key file is only 0600.
    key_passphrase_file: Path | None = None
    #: Life of an authorization code: single use, bound to its client, redirect URI and PKCE challenge.
    code_seconds: int = Field(default=60, ge=5, le=600)
    #: Life of an ID token.
    id_token_seconds: int = Field(default=300, ge=30, le=3600)
    #: How long the login page of one authorization request may stay open.
    login_seconds: int = Field(default=600, ge=30, le=3600)
    #: Login pages open at once (kept in memory): beyond it a new authorization request is answered 503.
    max_pending_logins: int = Field(default=10_000, ge=1, le=1_000_000)
    #: Wrong PINs a card may take before it is blocked, and how long it stays blocked.
    max_pin_attempts: int = Field(default=3, ge=1, le=10)
    pin_lockout_seconds: int = Field(default=900, ge=1, le=24 * 3600)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"public_url must be an absolute http(s) URL, got {value!r}")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError(
                f"public_url {value!r} is plain http on a non-loopback host; PINs would travel in clear. "
                "Use https (http is allowed only for 127.0.0.1/localhost)."
            )
        if parts.query or parts.fragment:
            raise ValueError(f"public_url must not have a query or fragment, got {value!r}")
        return value.rstrip("/")

    @property
    def issuer(self) -> str:
        """The ``iss`` of every ID token: the public URL."""
        return self.public_url
