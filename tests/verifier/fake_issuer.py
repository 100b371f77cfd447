"""An issuer origin for the verifier's tests: real HTTPS on a local port, publishing what the issuer will publish.

* ``/.well-known/jwt-vc-issuer`` — ``{"issuer": <identifier>, "jwks": <key history as JWKS>}`` (SD-JWT VC §5);
* ``/status/bitstring/revocation`` and ``/status/bitstring/suspension`` — W3C BitstringStatusListCredential as
  ``application/vc+jwt`` (131,072 entries, MSB first, GZIP, ``ttl`` in ms);
* ``/status/tsl/1`` — IETF Token Status List as ``application/statuslist+jwt`` (2 bits, LSB first, ZLIB, ``exp``
  and ``ttl``);

each with ``ETag`` (and ``304`` on ``If-None-Match``) and ``Cache-Control: max-age``, as DESIGN §4–§5 describe.
Every request is counted, lists are re-signed whenever a diploma is revoked or suspended, and any path can be
overridden with a hand-made answer (an inflating list, a broken document). Diplomas are issued in both profiles
with :func:`vc.issue` and the :mod:`schemas` builders, exactly as ``tawtiq/demo/engine.py`` does.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import schemas
from common.diploma import diploma_contexts
from common.service import FixedClock
from keys import InMemoryKeyStore
from vc import (
    BitOrder,
    OfflineDiploma,
    Profile,
    Signer,
    SigningKey,
    StatusList,
    issue,
    issue_bitstring_status_list,
    issue_offline,
    issue_token_status_list,
)
from vc.statuslist import STATUS_INVALID, STATUS_SUSPENDED, TokenStatusReference

LIST_SIZE = 131_072
CONTEXTS = diploma_contexts()


#: The common test clock (the tests move it by hand).
MovableClock = FixedClock


@dataclass(frozen=True)
class Tls:
    """A test certificate authority and a server certificate for 127.0.0.1 and localhost, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path) -> Tls:
        now = datetime.now(UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tawtiq test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        tls = cls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
        tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        tls.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return tls


@dataclass(frozen=True)
class Answer:
    """A hand-made response for an overridden path."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Diploma:
    """An issued diploma and where its bits sit in the status lists."""

    token: str
    profile: Profile | str
    revocation_index: int
    suspension_index: int
    token_index: int


class _Origin:
    """A threaded HTTP(S) server on 127.0.0.1 that counts requests and answers through ``respond``."""

    def __init__(self, *, tls: Tls | None) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with origin._lock:
                    origin._connections.add(self.connection)

            def do_GET(self) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}
                with origin._lock:
                    origin.requests.append(("GET", self.path, headers))
                answer = origin.respond(self.path, headers)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.body:
                    self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert_file, tls.key_file)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.origin = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        self._running = True

    def respond(self, path: str, headers: dict[str, str]) -> Answer:
        return Answer(404, b"not found")

    def count(self, prefix: str = "/") -> int:
        with self._lock:
            return sum(1 for _, path, _ in self.requests if path.startswith(prefix))

    def stop(self) -> None:
        """Stop listening: from now on connections are refused (the issuer is unreachable)."""
        if self._running:
            self._server.shutdown()
            self._server.server_close()
            with self._lock:
                for connection in self._connections:
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)
                        connection.close()
            self._running = False


class Bystander(_Origin):
    """A server that must never be contacted: it only counts."""

    def __init__(self) -> None:
        super().__init__(tls=None)


class FakeIssuer(_Origin):
    """The ministry's published documents, signed with a key history, over HTTPS."""

    def __init__(self, *, clock: MovableClock, tls: Tls, ttl_seconds: int = 300, metadata_max_age: int = 3600):
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self.metadata_max_age = metadata_max_age
        self.keys = InMemoryKeyStore()
        self.keys.create(not_before=clock.now() - timedelta(days=365))
        self.revoked: set[int] = set()
        self.suspended: set[int] = set()
        self.overrides: dict[str, Answer] = {}
        self.published: dict[str, str] = {}
        #: A standard SD-JWT VC issuer's key and the JWK it publishes for it (see :meth:`use_plain_key`).
        self.plain: tuple[Signer, dict[str, Any]] | None = None
        super().__init__(tls=tls)
        self.identifier = self.origin
        self.lists = {
            "revocation": f"{self.identifier}/status/bitstring/revocation",
            "suspension": f"{self.identifier}/status/bitstring/suspension",
            "token": f"{self.identifier}/status/tsl/1",
        }
        self.publish()

    # ------------------------------------------------------------------------------------------- the documents

    def use_plain_key(self, key: Signer, jwk: dict[str, Any]) -> None:
        """From now on sign everything with ``key`` and publish only ``jwk`` for it, as a standard SD-JWT VC issuer
        would: a plain RFC 7517 key set, without our window members."""
        self.plain = (key, jwk)
        self.publish()

    def signing_key(self) -> Signer:
        if self.plain is not None:
            return self.plain[0]
        return self.keys.signing_key(at=self.clock.now())

    def metadata(self) -> dict[str, Any]:
        if self.plain is not None:
            return {"issuer": self.identifier, "jwks": {"keys": [self.plain[1]]}}
        return {"issuer": self.identifier, "jwks": self.keys.history().to_jwks()}

    def publish(self) -> None:
        """Sign every list from the current registry, as the issuer service does after each change."""
        now, key = self.clock.now(), self.signing_key()
        for purpose, indexes in (("revocation", self.revoked), ("suspension", self.suspended)):
            bits = StatusList.from_entries(
                size=LIST_SIZE, bits=1, order=BitOrder.MSB_FIRST, entries=[(i, 1) for i in indexes]
            )
            self.published[self.lists[purpose]] = issue_bitstring_status_list(
                uri=self.lists[purpose],
                issuer=self.identifier,
                purpose=purpose,
                status_list=bits,
                key=key,
                issued_at=now,
                contexts=CONTEXTS,
                ttl=timedelta(seconds=self.ttl_seconds),
            )
        values = [(i, STATUS_INVALID) for i in self.revoked] + [(i, STATUS_SUSPENDED) for i in self.suspended]
        token_list = StatusList.from_entries(size=LIST_SIZE, bits=2, order=BitOrder.LSB_FIRST, entries=values)
        self.published[self.lists["token"]] = issue_token_status_list(
            uri=self.lists["token"],
            issuer=self.identifier,
            status_list=token_list,
            key=key,
            issued_at=now,
            expires_at=now + timedelta(days=1),
            ttl=timedelta(seconds=self.ttl_seconds),
        )

    def respond(self, path: str, headers: dict[str, str]) -> Answer:
        if path in self.overrides:
            return self.overrides[path]
        if path == "/.well-known/jwt-vc-issuer":
            return Answer(
                200,
                json.dumps(self.metadata()).encode(),
                {"Content-Type": "application/json", "Cache-Control": f"max-age={self.metadata_max_age}"},
            )
        token = self.published.get(f"{self.identifier}{path}")
        if token is None:
            return Answer(404, b"not found")
        etag = '"' + hashlib.sha256(token.encode()).hexdigest()[:32] + '"'
        media = "application/statuslist+jwt" if "/tsl/" in path else "application/vc+jwt"
        cache = {"ETag": etag, "Cache-Control": f"max-age={self.ttl_seconds}"}
        if headers.get("if-none-match") == etag:
            return Answer(304, b"", cache)
        return Answer(200, token.encode(), {"Content-Type": media, **cache})

    # ------------------------------------------------------------------------------------------- the registry

    def revoke(self, diploma: Diploma) -> None:
        self.revoked.update({diploma.revocation_index, diploma.token_index})
        self.publish()

    def suspend(self, diploma: Diploma) -> None:
        self.suspended.update({diploma.suspension_index, diploma.token_index})
        self.publish()

    # ------------------------------------------------------------------------------------------- diplomas

    def issue_w3c(
        self,
        holder: SigningKey,
        *,
        status_lists: dict[str, str] | None = None,
        key: Signer | None = None,
        issued_at: datetime | None = None,
        with_status: bool = True,
        subject: dict[str, Any] | None = None,
    ) -> Diploma:
        """A ``vc+sd-jwt`` diploma with revocation and suspension entries (Bitstring Status List), unless not
        ``with_status``; signed now by the active key, or by ``key`` with the ``issued_at`` it claims.

        ``subject`` replaces the sample subject: another issuer is not bound by our import's rules.
        """
        lists = status_lists or self.lists
        revocation, suspension, token_index = (secrets.randbelow(LIST_SIZE) for _ in range(3))
        entries = [
            schemas.BitstringEntry("revocation", lists["revocation"], revocation),
            schemas.BitstringEntry("suspension", lists["suspension"], suspension),
        ]
        credential = schemas.w3c_credential(
            subject or schemas.sample_subject(),
            issuer=self.identifier,
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            status=entries if with_status else [],
        )
        token = issue(
            credential,
            key=key or self.signing_key(),
            issued_at=issued_at or self.clock.now(),
            profile=Profile.VC_SD_JWT,
            contexts=CONTEXTS,
            disclosable=schemas.W3C_DISCLOSABLE,
            holder=holder.public,
        )
        return Diploma(token, Profile.VC_SD_JWT, revocation, suspension, token_index)

    def issue_sd_jwt_vc(self, holder: SigningKey, *, status_uri: str | None = None) -> Diploma:
        """A ``dc+sd-jwt`` diploma with a Token Status List reference."""
        revocation, suspension, token_index = (secrets.randbelow(LIST_SIZE) for _ in range(3))
        claims = schemas.sd_jwt_vc_claims(
            schemas.sample_subject(),
            issuer=self.identifier,
            status_index=token_index,
            status_uri=status_uri or self.lists["token"],
        )
        token = issue(
            claims,
            key=self.signing_key(),
            issued_at=self.clock.now(),
            profile=Profile.DC_SD_JWT,
            disclosable=schemas.SD_JWT_VC_DISCLOSABLE,
            holder=holder.public,
        )
        return Diploma(token, Profile.DC_SD_JWT, revocation, suspension, token_index)

    def issue_offline(self, *, key: Signer | None = None) -> Diploma:
        """A printed diploma's offline QR text (``TQ1:``) with a Token Status List reference, signed now."""
        revocation, suspension, token_index = (secrets.randbelow(LIST_SIZE) for _ in range(3))
        subject = schemas.DiplomaSubject.parse(schemas.sample_subject())
        printed = OfflineDiploma(
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            family_name_ar=subject.family_name.ar,
            family_name_lat=subject.family_name.lat,
            given_name_ar=subject.given_name.ar,
            given_name_lat=subject.given_name.lat,
            birth_date=subject.birth_date,
            cnie=str(subject.cnie),
            stream=subject.stream.code,
            session_year=subject.session.year,
            session_type=subject.session.type,
            average=subject.general_average,
            mention=subject.mention,
        )
        text = issue_offline(
            printed,
            issuer=self.identifier,
            key=key or self.signing_key(),
            issued_at=self.clock.now(),
            status=TokenStatusReference(index=token_index, uri=self.lists["token"]),
        )
        return Diploma(text, "tq1", revocation, suspension, token_index)

    def trust_list(self, *, version: str = "2026-07-01.1") -> dict[str, Any]:
        return {
            "version": version,
            "issuers": [
                {
                    "id": self.identifier,
                    "name": {
                        "ar": "وزارة التربية الوطنية والتعليم الأولي والرياضة",
                        "fr": "Ministère de l'Éducation nationale, du Préscolaire et des Sports",
                        "en": "Ministry of National Education, Preschool and Sports",
                    },
                    "credential_types": [schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT],
                }
            ],
        }
