"""The issuer's settings: one validated object built from ``TAWTIQ_*`` environment variables.

Everything the service and its commands need to know about their deployment is here, with units in the
names; the fields every service has (database, body bound, migration policy, log level) come from
:class:`common.service.ServiceSettings`. Validation happens once, when the object is built: an issuer URL
that is not ``https`` (except on a loopback host, for development), a status-list shard smaller than the
Bitstring Status List minimum, or an impossible OpenID4VCI bound stops the process before it serves anything.
The key passphrase is checked by :meth:`Settings.key_passphrase_bytes`, which every command that opens the
key store calls first, so a missing or default passphrase refuses to start the server. With
``TAWTIQ_KEY_STORE=pkcs11`` the keys live on a PKCS#11 token instead, and its module, token label and PIN file
must all be set.

Variables (all optional except where noted):

================================  ===============================================================
``TAWTIQ_ISSUER_URL``             public base URL = the issuer identifier (default
                                  ``http://127.0.0.1:8100``); ``https`` unless the host is loopback
``TAWTIQ_DATA_DIR``               where the SQLite database and the keys live (default ``./.tawtiq``)
``TAWTIQ_DATABASE_URL``           SQLAlchemy URL; default ``sqlite:///<data dir>/issuer.sqlite3``;
                                  ``postgresql://`` is read as ``postgresql+psycopg://``
``TAWTIQ_KEY_STORE``              where private keys live: ``file`` (encrypted files, default) or ``pkcs11``
``TAWTIQ_KEY_DIR``                encrypted key store, or the key history of a token (default ``<data dir>/keys``)
``TAWTIQ_PKCS11_MODULE``          with ``pkcs11``: the token's PKCS#11 library (``.so``)
``TAWTIQ_PKCS11_TOKEN_LABEL``     with ``pkcs11``: the label of the token holding the keys
``TAWTIQ_PKCS11_PIN_FILE``        with ``pkcs11``: a file holding the token's user PIN (no default)
``TAWTIQ_KEY_PASSPHRASE``         the key passphrase, or ``TAWTIQ_KEY_PASSPHRASE_FILE`` naming a file
``TAWTIQ_STATUS_LIST_SIZE``       entries per status-list shard (default and minimum 131072)
``TAWTIQ_STATUS_MAX_SHARDS``      shards the registry may open before allocation fails (default 10000)
``TAWTIQ_STATUS_TTL_SECONDS``     how long clients and CDNs may cache a list (default 60; re-signed on change)
``TAWTIQ_STATUS_VALIDITY_SECONDS`` lifetime (``exp``/``validUntil``) of a signed list (default 86400)
``TAWTIQ_OFFER_TTL_SECONDS``      lifetime of a credential offer and its pre-authorized code (1800)
``TAWTIQ_TX_CODE_LENGTH``         digits of the transaction code (PIN) (default 6)
``TAWTIQ_TX_CODE_MAX_ATTEMPTS``   wrong PINs before the offer is locked (default 5)
``TAWTIQ_ACCESS_TOKEN_TTL_SECONDS`` lifetime of an OpenID4VCI access token (default 300)
``TAWTIQ_NONCE_TTL_SECONDS``      lifetime of a ``c_nonce`` (default 300)
``TAWTIQ_PROOF_MAX_AGE_SECONDS``  oldest acceptable proof ``iat`` (default 300)
``TAWTIQ_CLOCK_SKEW_SECONDS``     tolerated clock difference with wallets (default 60)
``TAWTIQ_BATCH_SIZE``             most proofs (copies) in one credential request (default 10)
``TAWTIQ_MAX_COPIES_PER_TOKEN``   most copies one access token may obtain (default 20)
``TAWTIQ_PROOF_ALGORITHMS``       proof algorithms, ``ES256,EdDSA`` or a JSON list (default ES256, ES384, ES512, EdDSA)
``TAWTIQ_IDENTITY_DISCOVERY_URL`` the eID provider's OpenID Connect discovery URL; with it and the two below,
                                  wallets may use the authorization code flow, whose login is the eID's (unset)
``TAWTIQ_IDENTITY_CLIENT_ID``     this issuer's client id at the eID provider
``TAWTIQ_IDENTITY_CLIENT_SECRET`` its client secret, or ``TAWTIQ_IDENTITY_CLIENT_SECRET_FILE`` naming a file
``TAWTIQ_IDENTITY_REQUIRED_ACR``  the level of assurance a login must reach (``urn:tawtiq:eid:loa:high``)
``TAWTIQ_AUTHORIZATION_LOGIN_SECONDS`` how long a wallet's authorization waits for the eID login (600)
``TAWTIQ_AUTHORIZATION_CODE_SECONDS`` lifetime of an authorization code given to a wallet (default 60)
``TAWTIQ_MAX_BODY_BYTES``         largest HTTP request body accepted (default 65536)
``TAWTIQ_COHORT_BATCH_SIZE``      records created per transaction by ``cohort issue`` (default 2000)
``TAWTIQ_DOCUMENT_SIGNER_DIR``    the printed diploma's signer: ``chain.pem``, the encrypted ``key.pem`` (a
                                  document-signing certificate) and ``ca.pem`` (default ``<data dir>/document-signer``)
``TAWTIQ_PRINT_VERIFIER_URL``     the verification page the printed diploma's QR code opens (default
                                  ``http://127.0.0.1:8200``); ``https`` unless the host is loopback
``TAWTIQ_AUTO_MIGRATE``           apply pending migrations when the service starts (default true); false:
                                  refuse an out-of-date database, naming ``tawtiq db upgrade``
``TAWTIQ_LOG_LEVEL``              DEBUG, INFO, WARNING or ERROR (default INFO)
================================  ===============================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from common.service.settings import ServiceSettings
from keys import load_passphrase
from vc.errors import ConfigurationError
from vc.urls import is_loopback_host

#: The Bitstring Status List minimum (REC §2.2: at least 16 KB, i.e. 131,072 one-bit entries).
MIN_STATUS_LIST_SIZE: Final = 131_072
#: Signing algorithms a holder's proof key may use unless configured otherwise.
DEFAULT_PROOF_ALGORITHMS: Final = ("ES256", "ES384", "ES512", "EdDSA")
#: Proof algorithms this issuer can verify at all (``vc.jose`` verifies them).
SUPPORTED_PROOF_ALGORITHMS: Final = frozenset({"ES256", "ES384", "ES512", "EdDSA"})

PositiveSeconds = Annotated[int, Field(ge=1, le=366 * 24 * 3600)]


class Settings(ServiceSettings):
    """The issuer's deployment settings (see the module docstring for the variables). Immutable."""

    model_config = SettingsConfigDict(env_prefix="TAWTIQ_", frozen=True, extra="ignore", env_ignore_empty=True)

    issuer_url: str = "http://127.0.0.1:8100"
    data_dir: Path = Path(".tawtiq")
    key_dir: Path | None = None
    key_passphrase: SecretStr | None = None
    key_passphrase_file: Path | None = None
    key_store: Literal["file", "pkcs11"] = "file"
    pkcs11_module: Path | None = None
    pkcs11_token_label: str | None = None
    pkcs11_pin_file: Path | None = None

    status_list_size: int = Field(default=MIN_STATUS_LIST_SIZE, ge=MIN_STATUS_LIST_SIZE, le=1 << 26)
    status_max_shards: int = Field(default=10_000, ge=1)
    status_ttl_seconds: PositiveSeconds = 60
    status_validity_seconds: PositiveSeconds = 86_400

    offer_ttl_seconds: PositiveSeconds = 1_800
    tx_code_length: int = Field(default=6, ge=4, le=12)
    tx_code_max_attempts: int = Field(default=5, ge=1, le=100)
    access_token_ttl_seconds: PositiveSeconds = 300
    nonce_ttl_seconds: PositiveSeconds = 300
    proof_max_age_seconds: PositiveSeconds = 300
    clock_skew_seconds: int = Field(default=60, ge=0, le=3600)
    batch_size: int = Field(default=10, ge=2, le=100)
    max_copies_per_token: int = Field(default=20, ge=1, le=1000)
    proof_algorithms: Annotated[tuple[str, ...], NoDecode] = DEFAULT_PROOF_ALGORITHMS

    cohort_batch_size: int = Field(default=2_000, ge=1, le=100_000)

    document_signer_dir: Path | None = None
    print_verifier_url: str = "http://127.0.0.1:8200"

    identity_discovery_url: str | None = None
    identity_client_id: str | None = None
    identity_client_secret: SecretStr | None = None
    identity_client_secret_file: Path | None = None
    identity_required_acr: str = "urn:tawtiq:eid:loa:high"
    authorization_login_seconds: int = Field(default=600, ge=30, le=3600)
    authorization_code_seconds: int = Field(default=60, ge=5, le=600)

    @field_validator("issuer_url")
    @classmethod
    def _check_issuer_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(
                f"TAWTIQ_ISSUER_URL must be an absolute https URL, e.g. https://bac.example.ma; found {value!r}"
            )
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError(
                f"TAWTIQ_ISSUER_URL must use https (http is only allowed on a loopback host for development); "
                f"found {value!r}"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(
                "TAWTIQ_ISSUER_URL must be an origin without path, query, fragment or credentials "
                f"(the issuer identifier), e.g. https://bac.example.ma; found {value!r}"
            )
        return f"{parts.scheme}://{parts.netloc.lower()}"

    @field_validator("print_verifier_url")
    @classmethod
    def _check_print_verifier_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
            raise ValueError(
                f"TAWTIQ_PRINT_VERIFIER_URL must be an absolute https URL, e.g. https://verify.example.ma; "
                f"found {value!r}"
            )
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError(
                "TAWTIQ_PRINT_VERIFIER_URL must use https (http is only allowed on a loopback host for development); "
                f"found {value!r}"
            )
        return value.strip().rstrip("/")

    @field_validator("proof_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        """Accept a JSON list (``["ES256", "EdDSA"]``) or a comma-separated list (``ES256,EdDSA``)."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return tuple(json.loads(text))
            except (ValueError, TypeError):
                raise ValueError(f"TAWTIQ_PROOF_ALGORITHMS is not a JSON list: {text!r}") from None
        return tuple(part.strip() for part in text.split(",") if part.strip())

    @field_validator("proof_algorithms")
    @classmethod
    def _check_algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - SUPPORTED_PROOF_ALGORITHMS)
        if not value or unknown:
            raise ValueError(
                f"TAWTIQ_PROOF_ALGORITHMS must be a non-empty JSON list of {sorted(SUPPORTED_PROOF_ALGORITHMS)}; "
                f"found {list(value)}"
            )
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _check_bounds(self) -> Settings:
        if self.status_list_size % 8:
            raise ValueError(f"TAWTIQ_STATUS_LIST_SIZE must be a multiple of 8; found {self.status_list_size}")
        if self.max_copies_per_token < self.batch_size:
            raise ValueError(
                f"TAWTIQ_MAX_COPIES_PER_TOKEN ({self.max_copies_per_token}) must be at least TAWTIQ_BATCH_SIZE "
                f"({self.batch_size})"
            )
        if self.status_validity_seconds <= self.status_ttl_seconds:
            raise ValueError(
                "TAWTIQ_STATUS_VALIDITY_SECONDS must exceed TAWTIQ_STATUS_TTL_SECONDS, or cached lists would "
                "expire before clients refresh them"
            )
        identity = {
            "TAWTIQ_IDENTITY_DISCOVERY_URL": self.identity_discovery_url,
            "TAWTIQ_IDENTITY_CLIENT_ID": self.identity_client_id,
            "TAWTIQ_IDENTITY_CLIENT_SECRET(_FILE)": self.identity_client_secret or self.identity_client_secret_file,
        }
        if any(identity.values()) and not all(identity.values()):
            missing = [name for name, value in identity.items() if not value]
            raise ValueError(f"the eID login needs {', '.join(identity)}; found {', '.join(missing)} unset")
        if self.identity_client_secret is not None and self.identity_client_secret_file is not None:
            raise ValueError("set TAWTIQ_IDENTITY_CLIENT_SECRET or TAWTIQ_IDENTITY_CLIENT_SECRET_FILE, not both")
        if self.key_store == "pkcs11":
            missing = [
                f"TAWTIQ_{name.upper()}"
                for name in ("pkcs11_module", "pkcs11_token_label", "pkcs11_pin_file")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"TAWTIQ_KEY_STORE=pkcs11 needs {', '.join(missing)}; found them unset")
        return self

    # -- Derived values ------------------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under the data directory."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'issuer.sqlite3').resolve()}"

    @property
    def resolved_key_dir(self) -> Path:
        """The encrypted key store directory."""
        return self.key_dir if self.key_dir is not None else self.data_dir / "keys"

    @property
    def resolved_document_signer_dir(self) -> Path:
        """The directory of the printed diploma's signing certificate and key."""
        return self.document_signer_dir if self.document_signer_dir is not None else self.data_dir / "document-signer"

    @property
    def issuer_host(self) -> str:
        """``host[:port]`` of the issuer identifier."""
        return urlsplit(self.issuer_url).netloc

    def url(self, path: str) -> str:
        """An absolute URL of this issuer for ``path`` (which starts with ``/``)."""
        return f"{self.issuer_url}{path}"

    @property
    def eid_login(self) -> bool:
        """Whether the authorization code flow, with the eID login, is configured."""
        return self.identity_discovery_url is not None

    def identity_secret(self) -> str:
        """The client secret at the eID provider. Raises :class:`vc.ConfigurationError` if it cannot be read."""
        if self.identity_client_secret is not None:
            return self.identity_client_secret.get_secret_value()
        if self.identity_client_secret_file is None:
            raise ConfigurationError("no eID client secret is configured", code="identity.client_secret_missing")
        try:
            return self.identity_client_secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                "the eID client secret file cannot be read",
                code="identity.client_secret_missing",
                found=f"{self.identity_client_secret_file}: {exc.strerror or type(exc).__name__}",
                expected="a readable file holding the secret given by `tawtiq eid client add`",
            ) from exc

    def key_passphrase_bytes(self) -> bytes:
        """The key passphrase; raises :class:`vc.ConfigurationError` if missing, ambiguous, weak or a default."""
        environ: dict[str, str] = {}
        if self.key_passphrase is not None:
            environ["TAWTIQ_KEY_PASSPHRASE"] = self.key_passphrase.get_secret_value()
        if self.key_passphrase_file is not None:
            environ["TAWTIQ_KEY_PASSPHRASE_FILE"] = str(self.key_passphrase_file)
        return load_passphrase(environ)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``environ`` (default: the process environment), reading nothing else.

    Raises :class:`pydantic.ValidationError` with one line per invalid variable.
    """
    if environ is None:
        return Settings()
    values: dict[str, object] = {}
    for name in Settings.model_fields:
        raw = environ.get(f"TAWTIQ_{name.upper()}")
        if raw is None or raw == "":
            continue
        values[name] = raw
    return _ExplicitSettings(**values)  # type: ignore[arg-type]


class _ExplicitSettings(Settings):
    """Settings read only from the values given, never from the process environment."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)
