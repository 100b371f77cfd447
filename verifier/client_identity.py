"""How this verifier identifies itself to wallets: its OpenID4VP Client Identifier and how its Request Objects are
secured (OpenID4VP 1.0 §5.9.3; HAIP 1.0).

* ``x509_hash:<base64url SHA-256 of the DER leaf certificate>`` (HAIP's choice) and
  ``x509_san_dns:<host of PUBLIC_URL>``: the Request Object is a JWS, ``ES256``, header
  ``{"alg": "ES256", "typ": "oauth-authz-req+jwt", "x5c": [leaf, intermediates…]}`` (the root is never included),
  signed with the key of the verifier's access certificate. The certificate comes from a registrar
  (``tawtiq verifier cert issue`` for development) and names this verifier's host in a subjectAltName dNSName, so a
  wallet can check that ``response_uri`` is the certified host. The chain and the encrypted key are read from
  ``TAWTIQ_VERIFIER_OID4VP_CERTIFICATE_DIR`` (``chain.pem``, ``key.pem``); the key's passphrase from
  ``TAWTIQ_VERIFIER_KEY_PASSPHRASE`` or the file named by ``TAWTIQ_VERIFIER_KEY_PASSPHRASE_FILE``.
* ``redirect_uri:<response_uri>`` (development, or a verifier without a certificate): an unsigned Request Object
  (``alg: none``; the prefix "cannot be signed"), which wallets show as not authenticated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from keys import load_passphrase
from keys.x509 import CertifiedKey, certificate_hash, dns_names
from vc.encoding import b64url_encode
from vc.errors import ConfigurationError
from vc.jose import sign_compact
from verifier.settings import Settings

REQUEST_OBJECT_TYPE: Final = "oauth-authz-req+jwt"
REDIRECT_URI: Final = "redirect_uri"
X509_HASH: Final = "x509_hash"
PASSPHRASE_VARIABLES: Final = ("TAWTIQ_VERIFIER_KEY_PASSPHRASE", "TAWTIQ_VERIFIER_KEY_PASSPHRASE_FILE")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientIdentity:
    """The Client Identifier (prefix included) and, for the x509 prefixes, the certified key that signs requests."""

    prefix: str
    client_id: str
    response_uri: str
    certified: CertifiedKey | None = None

    @property
    def signed(self) -> bool:
        return self.certified is not None

    @classmethod
    def configure(cls, settings: Settings, *, environ: Mapping[str, str], now: datetime) -> ClientIdentity:
        """The identity the settings describe, reading the certificate and its key when one is configured.

        Raises :class:`ConfigurationError` ``oid4vp.certificate_host`` (the certificate does not name the host of
        ``PUBLIC_URL``) and ``oid4vp.certificate_expired`` (it is outside its validity period at ``now``): wallets
        would refuse every request; and those of :meth:`CertifiedKey.load` and :func:`keys.load_passphrase`.
        """
        response_uri = settings.oid4vp_response_uri
        prefix = settings.oid4vp_prefix
        if settings.oid4vp_certificate_dir is None:
            if settings.environment == "production":
                _log.warning(
                    "OpenID4VP requests are unsigned (client_id prefix redirect_uri:): wallets show this verifier as "
                    "not authenticated; configure TAWTIQ_VERIFIER_OID4VP_CERTIFICATE_DIR with a registrar's certificate"
                )
            return cls(prefix=REDIRECT_URI, client_id=f"{REDIRECT_URI}:{response_uri}", response_uri=response_uri)
        passphrase = load_passphrase(environ, variable=PASSPHRASE_VARIABLES[0], file_variable=PASSPHRASE_VARIABLES[1])
        certified = CertifiedKey.load(settings.oid4vp_certificate_dir, passphrase=passphrase)
        host = (urlsplit(settings.public_url).hostname or "").lower()
        if host not in dns_names(certified.certificate):
            raise ConfigurationError(
                "the verifier's access certificate does not name the host of TAWTIQ_VERIFIER_PUBLIC_URL; wallets "
                "check that the answer goes to the certified host and would refuse every request",
                code="oid4vp.certificate_host",
                found=list(dns_names(certified.certificate)) or "no DNS name in the certificate",
                expected=host,
            )
        leaf = certified.certificate
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise ConfigurationError(
                "the verifier's access certificate is not valid now; ask the registrar for a new one",
                code="oid4vp.certificate_expired",
                found=f"valid {leaf.not_valid_before_utc.isoformat()} to {leaf.not_valid_after_utc.isoformat()}",
                expected=f"valid at {now.isoformat()}",
            )
        if certified.key.algorithm != "ES256":
            raise ConfigurationError(
                "the verifier's access key must be a P-256 key (requests are signed with ES256, as HAIP asks)",
                code="oid4vp.certificate_key",
                found=certified.key.algorithm,
                expected="ES256",
            )
        value = certificate_hash(certified.certificate) if prefix == X509_HASH else host
        return cls(prefix=prefix, client_id=f"{prefix}:{value}", response_uri=response_uri, certified=certified)

    def request_object(self, payload: Mapping[str, Any]) -> str:
        """The Request Object for ``payload``: a JWS signed with the certified key (``x5c`` in its header), or an
        Unsecured JWS (``alg: none``, empty signature) for the ``redirect_uri`` prefix."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if self.certified is None:
            header = {"alg": "none", "typ": REQUEST_OBJECT_TYPE}
            encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
            return f"{b64url_encode(encoded)}.{b64url_encode(body)}."
        return sign_compact(
            header={"typ": REQUEST_OBJECT_TYPE, "x5c": self.certified.x5c()},
            payload=body,
            key=self.certified.key,
            with_kid=False,
        )
