"""What a wallet holds, as frozen records: diplomas (each with its signed copies and holder keys), share
links, and the verifiers the holder has met or marked as known.

The store (:mod:`wallet_cli.store`) encrypts the JSON form of :class:`WalletData`; :meth:`WalletData.from_json`
parses it back strictly, so a store written by a newer or broken program is refused, not half-read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from vc import FormatError, SigningKey
from vc.encoding import b64url_decode, b64url_encode
from wallet_cli.errors import StoreCorruptError, UsageError

#: Version of the JSON form inside the encrypted store and backups.
DATA_VERSION: Final = 1

#: locale -> text, e.g. {"ar": "…", "fr": "…", "en": "…"}.
Labels: TypeAlias = Mapping[str, str]

DC_SD_JWT: Final = "dc+sd-jwt"
VC_SD_JWT: Final = "vc+sd-jwt"
PROFILES: Final = (DC_SD_JWT, VC_SD_JWT)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise _bad(f"{what} is not a time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(f"{what} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise _bad(f"{what} has no time zone")
    return moment


def _optional_time(value: Any, what: str) -> datetime | None:
    return None if value is None else _parse_time(value, what)


def _bad(message: str) -> StoreCorruptError:
    return StoreCorruptError(
        f"the wallet's content is not readable: {message}",
        code="store.content_invalid",
        hint="The file decrypted correctly, so it was written by another version of the wallet or by a bug; "
        "keep the file and restore a backup with `tawtiq-wallet import`.",
    )


def _string(document: Mapping[str, Any], name: str, what: str) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise _bad(f"{what}.{name} is missing")
    return value


def _optional_string(document: Mapping[str, Any], name: str, what: str) -> str | None:
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{what}.{name} is not text")
    return value


def _labels(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _bad(f"{what} is not a map of labels")
    return dict(value)


def _objects(value: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise _bad(f"{what} is not a list of objects")
    return value


# ---------------------------------------------------------------------------------------------- keys


def export_private_key(key: SigningKey) -> str:
    """The holder key as base64url PKCS#8 (stored only inside the encrypted store)."""
    der = key.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return b64url_encode(der)


def import_private_key(encoded: str) -> SigningKey:
    """The holder key stored by :func:`export_private_key`. Raises :class:`StoreCorruptError`."""
    try:
        der = b64url_decode(encoded, what="the holder key")
        private = serialization.load_der_private_key(der, password=None)
    except (FormatError, ValueError, TypeError) as exc:
        raise _bad("a holder key cannot be read") from exc
    if not isinstance(private, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise _bad("a holder key has an unsupported type")
    return SigningKey.from_private_key(private)


# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Copy:
    """One signed copy of a diploma, bound to its own holder key (``cnf.jwk``)."""

    id: str
    profile: str
    configuration_id: str
    credential: str = field(repr=False)
    holder_key: str = field(repr=False)
    received_at: datetime
    presentations: int = 0

    def signing_key(self) -> SigningKey:
        return import_private_key(self.holder_key)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "profile": self.profile,
            "configuration_id": self.configuration_id,
            "credential": self.credential,
            "holder_key": self.holder_key,
            "received_at": _time(self.received_at),
            "presentations": self.presentations,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Copy:
        presentations = document.get("presentations", 0)
        if not isinstance(presentations, int) or isinstance(presentations, bool) or presentations < 0:
            raise _bad("copy.presentations is not a count")
        profile = _string(document, "profile", "copy")
        if profile not in PROFILES:
            raise _bad(f"copy.profile {profile!r} is unknown")
        return cls(
            id=_string(document, "id", "copy"),
            profile=profile,
            configuration_id=_string(document, "configuration_id", "copy"),
            credential=_string(document, "credential", "copy"),
            holder_key=_string(document, "holder_key", "copy"),
            received_at=_parse_time(document.get("received_at"), "copy.received_at"),
            presentations=presentations,
        )


@dataclass(frozen=True)
class Diploma:
    """A diploma as the wallet keeps it: who issued it, how the issuer labels it, and its copies."""

    id: str
    issuer: str
    received_at: datetime
    copies: tuple[Copy, ...]
    #: The issuer's name per locale (OpenID4VCI metadata ``display``).
    issuer_name: Labels = field(default_factory=dict)
    #: The credential's name per locale.
    credential_name: Labels = field(default_factory=dict)
    #: Top-level claim name -> locale -> label, from the issuer's metadata.
    claim_labels: Mapping[str, Labels] = field(default_factory=dict)

    def copies_of(self, profile: str) -> tuple[Copy, ...]:
        return tuple(copy for copy in self.copies if copy.profile == profile)

    def profiles(self) -> tuple[str, ...]:
        return tuple(profile for profile in PROFILES if self.copies_of(profile))

    def least_used(self, profile: str) -> Copy | None:
        """The copy of ``profile`` shown least often, so verifiers see different copies (less linkable)."""
        copies = self.copies_of(profile)
        return min(copies, key=lambda copy: copy.presentations) if copies else None

    def with_copy(self, updated: Copy) -> Diploma:
        return replace(self, copies=tuple(updated if copy.id == updated.id else copy for copy in self.copies))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "issuer": self.issuer,
            "received_at": _time(self.received_at),
            "issuer_name": dict(self.issuer_name),
            "credential_name": dict(self.credential_name),
            "claim_labels": {name: dict(labels) for name, labels in self.claim_labels.items()},
            "copies": [copy.to_json() for copy in self.copies],
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Diploma:
        raw_labels = document.get("claim_labels", {})
        if not isinstance(raw_labels, Mapping):
            raise _bad("diploma.claim_labels is not a map")
        copies = tuple(Copy.from_json(item) for item in _objects(document.get("copies"), "diploma.copies"))
        if not copies:
            raise _bad("a diploma has no copy")
        return cls(
            id=_string(document, "id", "diploma"),
            issuer=_string(document, "issuer", "diploma"),
            received_at=_parse_time(document.get("received_at"), "diploma.received_at"),
            copies=copies,
            issuer_name=_labels(document.get("issuer_name"), "diploma.issuer_name"),
            credential_name=_labels(document.get("credential_name"), "diploma.credential_name"),
            claim_labels={str(name): _labels(value, "diploma.claim_labels") for name, value in raw_labels.items()},
        )


@dataclass(frozen=True)
class Share:
    """A share link the holder made at a verifier; ``revoke_token`` withdraws it (erased once withdrawn).

    ``id`` is the wallet's own short id for it; ``link_id`` is the verifier's, a capability (whoever has it sees
    the diploma), so it never needs to be typed or appear in shell history.
    """

    id: str
    link_id: str
    url: str
    verifier: str
    diploma_id: str
    profile: str
    disclosed: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    revoke_token: str | None = field(default=None, repr=False)
    withdrawn_at: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "expired" if now >= self.expires_at else "active"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "link_id": self.link_id,
            "url": self.url,
            "verifier": self.verifier,
            "diploma_id": self.diploma_id,
            "profile": self.profile,
            "disclosed": list(self.disclosed),
            "created_at": _time(self.created_at),
            "expires_at": _time(self.expires_at),
            "revoke_token": self.revoke_token,
            "withdrawn_at": _time(self.withdrawn_at),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Share:
        disclosed = document.get("disclosed")
        if not isinstance(disclosed, list) or not all(isinstance(item, str) for item in disclosed):
            raise _bad("share.disclosed is not a list of claims")
        return cls(
            id=_string(document, "id", "share"),
            link_id=_string(document, "link_id", "share"),
            url=_string(document, "url", "share"),
            verifier=_string(document, "verifier", "share"),
            diploma_id=_string(document, "diploma_id", "share"),
            profile=_string(document, "profile", "share"),
            disclosed=tuple(disclosed),
            created_at=_parse_time(document.get("created_at"), "share.created_at"),
            expires_at=_parse_time(document.get("expires_at"), "share.expires_at"),
            revoke_token=_optional_string(document, "revoke_token", "share"),
            withdrawn_at=_optional_time(document.get("withdrawn_at"), "share.withdrawn_at"),
        )


@dataclass(frozen=True)
class Verifier:
    """A verifier by its origin: on the holder's known list (with the holder's name for it), or only met."""

    origin: str
    name: str | None = None
    known: bool = False
    presentations: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "name": self.name,
            "known": self.known,
            "presentations": self.presentations,
            "first_seen": _time(self.first_seen),
            "last_seen": _time(self.last_seen),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Verifier:
        known = document.get("known", False)
        presentations = document.get("presentations", 0)
        if not isinstance(known, bool) or not isinstance(presentations, int):
            raise _bad("a verifier entry is malformed")
        return cls(
            origin=_string(document, "origin", "verifier"),
            name=_optional_string(document, "name", "verifier"),
            known=known,
            presentations=presentations,
            first_seen=_optional_time(document.get("first_seen"), "verifier.first_seen"),
            last_seen=_optional_time(document.get("last_seen"), "verifier.last_seen"),
        )


@dataclass(frozen=True)
class WalletData:
    """Everything inside the encrypted store."""

    diplomas: tuple[Diploma, ...] = ()
    shares: tuple[Share, ...] = ()
    verifiers: tuple[Verifier, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.diplomas or self.shares or self.verifiers)

    def diploma(self, identifier: str) -> Diploma:
        """The diploma whose id is ``identifier`` or starts with it. Raises :class:`UsageError`."""
        found: Diploma = _one(self.diplomas, identifier, what="diploma", listing="tawtiq-wallet list")
        return found

    def share(self, identifier: str) -> Share:
        """The share link whose id is ``identifier`` or starts with it. Raises :class:`UsageError`."""
        found: Share = _one(self.shares, identifier, what="share link", listing="tawtiq-wallet shares")
        return found

    def verifier(self, origin: str) -> Verifier | None:
        return next((item for item in self.verifiers if item.origin == origin), None)

    def with_diploma(self, diploma: Diploma) -> WalletData:
        if any(item.id == diploma.id for item in self.diplomas):
            return replace(self, diplomas=_swap(self.diplomas, diploma))
        return replace(self, diplomas=(*self.diplomas, diploma))

    def without_diploma(self, identifier: str) -> WalletData:
        return replace(self, diplomas=tuple(item for item in self.diplomas if item.id != identifier))

    def with_share(self, share: Share) -> WalletData:
        if any(item.id == share.id for item in self.shares):
            return replace(self, shares=_swap(self.shares, share))
        return replace(self, shares=(*self.shares, share))

    def with_verifier(self, verifier: Verifier) -> WalletData:
        if self.verifier(verifier.origin) is not None:
            return replace(
                self, verifiers=tuple(verifier if item.origin == verifier.origin else item for item in self.verifiers)
            )
        return replace(self, verifiers=(*self.verifiers, verifier))

    def without_verifier(self, origin: str) -> WalletData:
        return replace(self, verifiers=tuple(item for item in self.verifiers if item.origin != origin))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": DATA_VERSION,
            "diplomas": [item.to_json() for item in self.diplomas],
            "shares": [item.to_json() for item in self.shares],
            "verifiers": [item.to_json() for item in self.verifiers],
        }

    @classmethod
    def from_json(cls, document: Any) -> WalletData:
        """Parse the decrypted content. Raises :class:`StoreCorruptError` for anything unexpected."""
        if not isinstance(document, Mapping):
            raise _bad("the content is not a JSON object")
        if document.get("version") != DATA_VERSION:
            raise _bad(f"content version {document.get('version')!r} is not {DATA_VERSION}")
        return cls(
            diplomas=tuple(Diploma.from_json(item) for item in _objects(document.get("diplomas"), "diplomas")),
            shares=tuple(Share.from_json(item) for item in _objects(document.get("shares"), "shares")),
            verifiers=tuple(Verifier.from_json(item) for item in _objects(document.get("verifiers"), "verifiers")),
        )


def _swap(items: Sequence[Any], updated: Any) -> tuple[Any, ...]:
    return tuple(updated if item.id == updated.id else item for item in items)


def _one(items: Sequence[Any], identifier: str, *, what: str, listing: str) -> Any:
    wanted = identifier.strip()
    exact = [item for item in items if item.id == wanted]
    if exact:
        return exact[0]
    matches = [item for item in items if wanted and item.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(
            f"no {what} with id {wanted!r} in this wallet",
            code=f"{what.replace(' ', '_')}.unknown",
            hint=f"`{listing}` shows the ids.",
        )
    raise UsageError(
        f"{wanted!r} matches {len(matches)} {what}s",
        code=f"{what.replace(' ', '_')}.ambiguous",
        found=[item.id for item in matches],
        hint="Give more characters of the id.",
    )
