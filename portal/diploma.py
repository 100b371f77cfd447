"""The graduate's diploma as the portal serves it: the record's versions read by the session's CNIE, the signed
printed diploma, the wallet link, and sharing without installing anything.

Sharing without a wallet: on the graduate's command (a CSRF-checked form of a session the eID opened) the portal
generates, once per graduate, a holder key that the ministry keeps for them, and signs a copy of the current record
bound to it (``vc+sd-jwt``, channel :data:`CUSTODY_CHANNEL`, with its own status slot like any wallet's copy). The
private key, the copy and each link's revoke token are stored sealed with AES-256-GCM under a key derived (HKDF)
from ``TAWTIQ_PORTAL_HOLDER_KEY_SECRET``, the graduate's id as associated data (a sealed value moved to another
graduate's row does not open). The key is never exported: it only signs key-binding JWTs for the verifier's share
audience, in :meth:`DiplomaDesk.share`.

A share link is made at the verifier (``TAWTIQ_PORTAL_VERIFIER_URL``) over HTTP with the bounded fetcher, the way
a wallet makes one (:mod:`verifier.shares`): ``POST /shares/nonce``, a presentation of the chosen claims with a
KB-JWT for that audience and nonce, ``POST /shares``; ``DELETE /shares/{id}`` with the revoke token withdraws it.
Nothing here reads a record by an identifier a browser sends without checking that it is one of the session's
CNIE's records: another graduate's id answers exactly as an unknown one.

:func:`purge` (``tawtiq portal purge``) deletes the links that ended (expired or withdrawn) and the held keys no
longer needed: those of graduates with no link left, unused for :data:`KEY_IDLE_SECONDS` (using a key marks it used,
at most once every :data:`KEY_TOUCH_SECONDS`, so a key is never deleted while a share or an answer is being made
with it). A graduate who shares again later gets a new key and a new copy.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Final
from urllib.parse import quote

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    exists,
    insert,
    select,
    update,
)

import schemas
from common.fetch import Fetcher, FetchError, UrlRefusedError, same_origin
from common.service.database import affected
from common.service.problems import ServiceUnavailableError
from issuer.db import reading, writing
from issuer.issuance import recorded_subject, sign_copies
from issuer.keyring import Keyring
from issuer.models import ACTIVE, Diploma, UTCDateTime
from issuer.oid4vci import AUTHORIZATION_CODE_GRANT, CONFIGURATIONS, OFFER_SCHEME
from issuer.printing import DocumentSigner, print_record
from issuer.records import records_of
from issuer.settings import Settings as IssuerSettings
from portal.errors import ConflictError, NotFoundError, RequestError
from portal.models import metadata
from portal.settings import Settings
from vc import Profile, SigningKey, present
from vc.errors import ConfigurationError

logger = logging.getLogger("tawtiq.portal")

#: The channel recorded on the copy the ministry holds for a graduate.
CUSTODY_CHANNEL: Final = "portal-custody"
#: The lifetimes a graduate may choose for a share link (seconds), the first the default.
SHARE_LIFETIMES: Final = (7 * 86400, 86400, 30 * 86400, 90 * 86400)
#: The claims a graduate may choose to show (top-level diploma claims, in the document's order).
SHAREABLE_CLAIMS: Final = (
    "familyName",
    "givenName",
    "birthDate",
    "birthPlace",
    "cnie",
    "massarCode",
    "stream",
    "optionLanguage",
    "session",
    "generalAverage",
    "mention",
    "academy",
    "directorate",
    "school",
    "deliberationDate",
)
#: What a share shows when the graduate chose nothing else: who, which diploma, the result.
DEFAULT_CLAIMS: Final = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")
#: Bound on what the verifier may answer (a report with every claim is a few KiB).
_MAX_ANSWER_BYTES: Final = 256 * 1024
_SEAL_INFO: Final = b"tawtiq portal holder custody v1"
#: How long a held key is kept after its last use once none of its graduate's links is live (seconds).
KEY_IDLE_SECONDS: Final = 86400
#: Using a held key marks it used when its mark is older than this (seconds): at most one write an hour per graduate.
KEY_TOUCH_SECONDS: Final = 3600

custody: Final = Table(
    "portal_custody",
    metadata,
    #: The issuer's graduate id (the same person across corrections and sessions).
    Column("graduate_id", BigInteger, primary_key=True, autoincrement=False),
    #: The holder's private key (PKCS#8 DER), sealed.
    Column("key_sealed", LargeBinary, nullable=False),
    #: The record the held copy was signed from, and the copy (``vc+sd-jwt``), sealed.
    Column("diploma_id", String(64), nullable=False),
    Column("copy_sealed", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    #: When the copy was last signed or the key last used (to within :data:`KEY_TOUCH_SECONDS`): :func:`purge`.
    Column("updated_at", UTCDateTime, nullable=False),
)
shares: Final = Table(
    "portal_shares",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("graduate_id", BigInteger, ForeignKey("portal_custody.graduate_id"), nullable=False),
    #: The verifier's id of the link and its URL (the link is a bearer secret: shown only to its graduate).
    Column("link_id", String(64), nullable=False),
    Column("url", String(500), nullable=False),
    Column("verifier", String(300), nullable=False),
    #: The claims shown, as a JSON list of names.
    Column("claims", Text, nullable=False),
    Column("revoke_token_sealed", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime, nullable=True),
    Index("ix_portal_shares_graduate_id", "graduate_id"),
)


class DiplomaError(NotFoundError):
    """No diploma record of the session's CNIE (none at all, or not the one a URL names) (404)."""

    default_code = "diploma.unknown"


class ShareError(ConflictError):
    """A share the diploma's state forbids: revoked, suspended (409)."""

    default_code = "share.diploma_not_active"


class VerifierUnavailableError(ServiceUnavailableError):
    """The verifier cannot be reached or answered something unexpected (503)."""

    default_code = "share.verifier_unavailable"


class ShareRefusedError(RequestError):
    """The verifier refused the presentation or the lifetime (400)."""

    default_code = "share.refused"


# -- Records ----------------------------------------------------------------------------------------------------------


def versions_of(engine: Engine, *, cnie: str) -> list[Diploma]:
    """Every record of ``cnie`` (every session, every version), newest first."""
    with reading(engine) as db:
        return records_of(db, cnie=cnie)


def current_of(versions: Sequence[Diploma]) -> Diploma | None:
    """The record a graduate holds now: the newest one no correction replaced (``versions`` newest first)."""
    return next((record for record in versions if record.replaced_by is None), None)


def own_record(versions: Sequence[Diploma], record_id: str) -> Diploma:
    """The record ``record_id`` among ``versions`` (the session's CNIE's). Raises :class:`DiplomaError`
    ``diploma.unknown`` for any other id, another graduate's included: the answer says nothing of whether it
    exists."""
    for record in versions:
        if record.id == record_id:
            return record
    raise DiplomaError(
        "no diploma of yours has this number",
        found=record_id[:80],
        expected="the number of one of your diploma's versions, as listed on your diploma page",
    )


def offer_link(issuer: IssuerSettings) -> str:
    """The OpenID4VCI credential offer (by value) whose only grant is the authorization code flow: the wallet
    sends the graduate to the issuer's ``/authorize``, whose login is the eID, and the diploma found by the CNIE
    is bound to the wallet's key. No PIN travels with it (the pre-authorized offers stay for other channels)."""
    document = {
        "credential_issuer": issuer.issuer_url,
        "credential_configuration_ids": list(CONFIGURATIONS),
        "grants": {AUTHORIZATION_CODE_GRANT: {}},
    }
    return f"{OFFER_SCHEME}?credential_offer={quote(json.dumps(document, separators=(',', ':')), safe='')}"


# -- Sealing ----------------------------------------------------------------------------------------------------------


class Sealer:
    """AES-256-GCM with a key derived from the portal's holder-key secret; the graduate's id is associated data."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, value: bytes, *, graduate_id: int) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value, str(graduate_id).encode("ascii"))

    def open(self, sealed: bytes, *, graduate_id: int) -> bytes:
        """Raises :class:`ConfigurationError` ``portal.holder_key_unreadable`` when the value does not open (the
        secret changed, or the row was altered or moved)."""
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], str(graduate_id).encode("ascii"))
        except (InvalidTag, ValueError) as exc:
            raise ConfigurationError(
                "a held holder key or copy cannot be opened",
                code="portal.holder_key_unreadable",
                found="a sealed value that does not open with TAWTIQ_PORTAL_HOLDER_KEY_SECRET",
                expected="the secret the values were sealed with, and rows left as written",
            ) from exc


# -- The desk ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareView:
    """A share link as its graduate sees it in the list."""

    id: int
    url: str
    claims: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    withdrawn_at: datetime | None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``withdrawn``."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "active" if now < self.expires_at else "expired"


@dataclass
class DiplomaDesk:
    """What the diploma page does with the ministry's keys and the verifier (see the module docstring).

    The keyring and the document signer are opened on first use, so the portal starts (and its other pages work)
    without the issuer's keys; a page that needs them refuses with the configuration's code.
    """

    engine: Engine
    settings: Settings
    issuer: IssuerSettings
    fetcher: Fetcher
    _keyring: Keyring | None = field(default=None, repr=False)
    _signer: DocumentSigner | None = field(default=None, repr=False)

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            self._keyring = Keyring.from_settings(self.issuer)
        return self._keyring

    @property
    def signer(self) -> DocumentSigner:
        if self._signer is None:
            self._signer = DocumentSigner.from_settings(self.issuer)
        return self._signer

    @cached_property
    def _sealer(self) -> Sealer:
        return Sealer(self.settings.holder_key_bytes())

    # -- the printed diploma

    def printed(self, record: Diploma, *, now: datetime) -> bytes:
        """The signed PDF of ``record`` (one of the graduate's), printed now. Raises what
        :func:`issuer.printing.print_record` raises (``diploma.superseded``, ``diploma.not_active``)."""
        with writing(self.engine) as db:
            fresh = db.get(Diploma, record.id)
            assert fresh is not None  # records are never deleted
            printed = print_record(
                db,
                diploma=fresh,
                settings=self.issuer,
                keyring=self.keyring,
                signer=self.signer,
                actor="portal:graduate",
                now=now,
            )
        return printed.pdf

    # -- custody

    def _held(self, graduate_id: int) -> Mapping[str, Any] | None:
        with reading(self.engine) as db:
            row = db.execute(select(custody).where(custody.c.graduate_id == graduate_id)).first()
        return None if row is None else dict(row._mapping)

    def held_copy(self, record: Diploma, *, now: datetime) -> tuple[SigningKey, str]:
        """The held key and a copy of ``record`` bound to it: made now if the graduate has none, or signed anew
        when the held one is of an older record (a correction replaced it). Raises :class:`ShareError` for a
        record that is not active, :class:`ConfigurationError` without the holder-key secret."""
        self._refuse_inactive(record)
        sealer = self._sealer
        graduate = record.graduate_id
        held = self._held(graduate)
        if held is not None:
            key = _load_key(sealer.open(held["key_sealed"], graduate_id=graduate))
            if held["diploma_id"] == record.id:
                copy_text = sealer.open(held["copy_sealed"], graduate_id=graduate).decode("utf-8")
                if now - held["updated_at"] >= timedelta(seconds=KEY_TOUCH_SECONDS):
                    with writing(self.engine) as db:
                        db.execute(update(custody).where(custody.c.graduate_id == graduate).values(updated_at=now))
                return key, copy_text
        else:
            key = SigningKey.generate("ES256")
        with writing(self.engine) as db:
            fresh = db.get(Diploma, record.id)
            assert fresh is not None
            (copy,) = sign_copies(
                db,
                diploma=fresh,
                profile=Profile.VC_SD_JWT,
                holders=[key.public],
                channel=CUSTODY_CHANNEL,
                actor="portal:graduate",
                settings=self.issuer,
                keyring=self.keyring,
                now=now,
            )
            copy_sealed = sealer.seal(copy.credential.encode("utf-8"), graduate_id=graduate)
            if held is None:
                db.execute(
                    insert(custody).values(
                        graduate_id=graduate,
                        key_sealed=sealer.seal(_key_bytes(key), graduate_id=graduate),
                        diploma_id=record.id,
                        copy_sealed=copy_sealed,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                db.execute(
                    update(custody)
                    .where(custody.c.graduate_id == graduate)
                    .values(diploma_id=record.id, copy_sealed=copy_sealed, updated_at=now)
                )
        logger.info("custody copy signed for record %s", record.id)
        return key, copy.credential

    @staticmethod
    def _refuse_inactive(record: Diploma) -> None:
        if record.replaced_by is not None:
            raise ShareError(
                "this version of the diploma was replaced by a corrected one; share the current version",
                code="share.diploma_superseded",
                found=record.id,
                expected=record.replaced_by,
            )
        if record.status != ACTIVE:
            raise ShareError(
                f"the diploma is {record.status}: it cannot be shared",
                found=f"{record.status}: {record.status_reason or 'no reason given'}",
                expected="an active diploma",
            )

    # -- share links

    def share(self, record: Diploma, *, claims: Sequence[str], lifetime_seconds: int, now: datetime) -> ShareView:
        """Make a share link of ``record`` showing ``claims`` for ``lifetime_seconds`` at the verifier.

        Raises :class:`RequestError` ``share.claims`` / ``share.lifetime`` for a choice outside the offered ones,
        :class:`ShareError` for a record that is not active, :class:`ShareRefusedError` when the verifier refuses,
        :class:`VerifierUnavailableError` when it cannot be reached or answers something unexpected.
        """
        chosen = tuple(name for name in SHAREABLE_CLAIMS if name in set(claims))
        if not chosen or len(chosen) != len(set(claims)):
            raise RequestError(
                "choose what the link shows among the diploma's claims",
                code="share.claims",
                found=sorted(set(claims) - set(SHAREABLE_CLAIMS))[:5] or "nothing chosen",
                expected=", ".join(SHAREABLE_CLAIMS),
            )
        if lifetime_seconds not in SHARE_LIFETIMES:
            raise RequestError(
                "choose how long the link lasts among the lifetimes offered",
                code="share.lifetime",
                found=str(lifetime_seconds),
                expected=", ".join(str(value) for value in SHARE_LIFETIMES),
            )
        key, credential = self.held_copy(record, now=now)
        base = self.settings.verifier_url
        nonce_answer = self._call("POST", f"{base}/shares/nonce", body=b"")
        if nonce_answer[0] != 200:
            raise _unexpected("a share nonce", nonce_answer)
        nonce, audience = nonce_answer[1].get("nonce"), nonce_answer[1].get("audience")
        if not isinstance(nonce, str) or not isinstance(audience, str) or not same_origin(audience, base):
            raise VerifierUnavailableError(
                "the verifier's share nonce is not usable",
                found="a nonce or audience missing, or an audience on another site",
                expected=f"a nonce and an audience on {base}",
            )
        presentation = present(
            credential,
            disclose=[["credentialSubject", name] for name in chosen],
            key=key,
            audience=audience,
            nonce=nonce,
            now=now,
        )
        body = json.dumps({"presentation": presentation, "expires_in": lifetime_seconds}).encode("utf-8")
        status, answer = self._call("POST", f"{base}/shares", body=body)
        if status in (400, 422):
            raise ShareRefusedError(
                "the verifier refused to make the link",
                found=str(answer.get("code") or answer.get("detail") or status)[:200],
                expected="a link made from the diploma's current copy",
            )
        if status != 201:
            raise _unexpected("the share link", (status, answer))
        link_id, url, token = answer.get("id"), answer.get("url"), answer.get("revoke_token")
        expires = _time(answer.get("expires_at"))
        if not (isinstance(link_id, str) and isinstance(url, str) and isinstance(token, str) and expires):
            raise _unexpected("the share link", (status, answer))
        if not same_origin(url, base):
            raise VerifierUnavailableError(
                "the verifier's link is on another site", found=url[:120], expected=f"a link on {base}"
            )
        sealed = self._sealer.seal(token.encode("utf-8"), graduate_id=record.graduate_id)
        with writing(self.engine) as db:
            share_id = db.execute(
                insert(shares)
                .values(
                    graduate_id=record.graduate_id,
                    link_id=link_id[:64],
                    url=url[:500],
                    verifier=base[:300],
                    claims=json.dumps(list(chosen)),
                    revoke_token_sealed=sealed,
                    created_at=now,
                    expires_at=expires,
                    withdrawn_at=None,
                )
                .returning(shares.c.id)
            ).scalar_one()
        logger.info("share link %d made for record %s", share_id, record.id)
        return ShareView(id=share_id, url=url, claims=chosen, created_at=now, expires_at=expires, withdrawn_at=None)

    def shares_of(self, graduate_id: int) -> list[ShareView]:
        """The graduate's share links, newest first."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(shares).where(shares.c.graduate_id == graduate_id).order_by(shares.c.id.desc())
            ).all()
        return [_share_view(dict(row._mapping)) for row in rows]

    def share_of(self, graduate_id: int, share_id: int) -> ShareView:
        """One of the graduate's links. Raises :class:`NotFoundError` ``share.unknown`` for any other id (another
        graduate's included: the answer is the same)."""
        with reading(self.engine) as db:
            row = db.execute(select(shares).where(shares.c.id == share_id, shares.c.graduate_id == graduate_id)).first()
        if row is None:
            raise NotFoundError(
                "no share link of yours has this number",
                code="share.unknown",
                found=str(share_id),
                expected="one of the links listed on your diploma page",
            )
        return _share_view(dict(row._mapping))

    def withdraw(self, graduate_id: int, share_id: int, *, now: datetime) -> None:
        """Withdraw one of the graduate's links at the verifier (an expired or already withdrawn one is only
        marked). Raises :class:`NotFoundError` ``share.unknown`` and :class:`VerifierUnavailableError`."""
        self.share_of(graduate_id, share_id)
        with reading(self.engine) as db:
            row = db.execute(select(shares).where(shares.c.id == share_id)).one()._mapping
        if row["withdrawn_at"] is None:
            token = self._sealer.open(row["revoke_token_sealed"], graduate_id=graduate_id).decode("utf-8")
            url = f"{row['verifier']}/shares/{quote(row['link_id'], safe='')}"
            status, answer = self._call("DELETE", url, headers={"Authorization": f"Bearer {token}"})
            if status not in (204, 404, 410):
                raise _unexpected("the withdrawal", (status, answer))
            with writing(self.engine) as db:
                db.execute(update(shares).where(shares.c.id == share_id).values(withdrawn_at=now))
            logger.info("share link %d withdrawn", share_id)

    def _call(
        self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Mapping[str, Any]]:
        sent = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/json"
        try:
            response = self.fetcher.fetch(url, max_bytes=_MAX_ANSWER_BYTES, method=method, headers=sent, body=body)
        except (FetchError, UrlRefusedError) as exc:
            raise VerifierUnavailableError(
                "the verifier cannot be reached", found=f"[{exc.code}] {exc.summary}"[:200], expected=url
            ) from exc
        if not response.body:
            return response.status, {}
        try:
            document = json.loads(response.body)
        except ValueError:
            return response.status, {}
        return response.status, document if isinstance(document, dict) else {}


def purge(engine: Engine, *, now: datetime) -> dict[str, int]:
    """Delete the share links that ended by ``now`` (expired or withdrawn), then the held keys no longer needed: of a
    graduate with no link left, and not used for :data:`KEY_IDLE_SECONDS`. Returns how many of each were deleted
    (``shares``, ``holder_keys``)."""
    with writing(engine) as db:
        ended = db.execute(delete(shares).where((shares.c.expires_at <= now) | shares.c.withdrawn_at.is_not(None)))
        idle = db.execute(
            delete(custody).where(
                custody.c.updated_at <= now - timedelta(seconds=KEY_IDLE_SECONDS),
                ~exists().where(shares.c.graduate_id == custody.c.graduate_id),
            )
        )
    return {"shares": affected(ended), "holder_keys": affected(idle)}


def _unexpected(what: str, answer: tuple[int, Mapping[str, Any]]) -> VerifierUnavailableError:
    status, body = answer
    return VerifierUnavailableError(
        f"the verifier did not answer with {what}",
        found=f"HTTP {status} {str(body.get('code') or body.get('detail') or '')[:120]}".strip(),
        expected=what,
    )


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _share_view(row: Mapping[str, Any]) -> ShareView:
    return ShareView(
        id=int(row["id"]),
        url=str(row["url"]),
        claims=tuple(json.loads(row["claims"])),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def _key_bytes(key: SigningKey) -> bytes:
    return key.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(data: bytes) -> SigningKey:
    loaded = serialization.load_der_private_key(data, password=None)
    return SigningKey.from_private_key(loaded)  # type: ignore[arg-type]


def subject_of(record: Diploma) -> schemas.DiplomaSubject:
    """The record's subject (its claims snapshot, parsed)."""
    return recorded_subject(record)
