"""The offline QR (``TQ1:``): a diploma's printed facts as a CWT in a COSE_Sign1, compressed, in Base45.

In the spirit of the EU Digital COVID Certificate (``HC1:``), for a QR code printed on paper that a verifier checks
without a network::

    "TQ1:" + Base45( zlib( COSE_Sign1( CWT claims ) ) )

* ``TQ1:`` — the context prefix: Tawtiq, layout version 1. Anything else is refused (``offline.prefix``).
* Base45 (RFC 9285): the QR code's alphanumeric mode stores its 45 characters at 5.5 bits each, so a QR code holds
  about 30 % more than the same bytes in base64 in byte mode.
* zlib (RFC 1950, level 9). Decoding is bounded before (:data:`MAX_TEXT_CHARS`) and after (:data:`MAX_INFLATED_BYTES`)
  decompression, so a zlib bomb never yields more than the bound plus one byte.
* COSE_Sign1 (RFC 9052, :mod:`vc.cose`), tag 18, with ``alg`` (ES256 for the ministry's keys) and ``kid`` in the
  protected header. The ``kid`` is the first 8 bytes of the issuer key's RFC 7638 thumbprint (as the EU DCC's is of
  its certificate's hash): the verifier takes the issuer's key valid at ``iat`` whose thumbprint starts with the
  ``kid`` (:class:`vc.jose.KeyCandidates`; with a resolver that cannot list keys, the one key valid then, which must
  match) and refuses the QR when there is none.
* The CWT claims (RFC 8392), a CBOR map with integer keys, decoded by the bounded, strict reader of :mod:`vc.cbor`:

  ====== ========== ================================================================================
  key    claim      value
  ====== ========== ================================================================================
  1      ``iss``    the issuer's identifier (text): trust and keys are looked up by it
  6      ``iat``    when it was signed (integer seconds): picks the key in the issuer's history
  4      ``exp``    optional; a diploma does not expire, so the ministry sets none
  65535  ``status`` Token Status List reference: ``{"status_list": {"idx": n, "uri": "https://…"}}``
  -65537 diploma    an array of exactly 11 items (private-use key, RFC 8392 §9.1), in this order:
                    credential id (16-byte UUID, ``urn:uuid:…``); family name in Arabic, in Latin script;
                    given name in Arabic, in Latin script; birth date (days since 1970-01-01); CNIE number;
                    stream code; session (``year * 10 + 1`` normale, ``+ 2`` rattrapage); general average in
                    hundredths (1542 = 15.42); mention (1 passable, 2 assez bien, 3 bien, 4 très bien)
  ====== ========== ================================================================================

  A name is a byte string in Windows-1256 (the code page of Arabic and French: one byte a letter instead of two in
  UTF-8) when every character has a place there, else a UTF-8 text string. Every other text is a text string.

The layout is the smallest that keeps the standard parts standard (COSE, CWT, the Token Status List claim): a
positional array, integer codes and one byte a letter keep every generated graduate's QR code at version 15 at
level Q or below (``tests/vc/test_offline_size.py``; the figures are in the README).

What is printed is what a person compares with the paper and the identity card; the status reference lets a
verifier with a network add whether the diploma was revoked since.

A verifier reports the claims in the shape of the diploma's SD-JWT VC (``familyName: {ar, lat}``…, with the stream as
``streamCode``), under the SD-JWT VC type :data:`OFFLINE_CREDENTIAL_TYPE`, so the same trust list, schema and page
serve both.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from vc import cbor
from vc.base45 import ALPHABET, Base45Error, b45decode, b45encode
from vc.cose import KID, Sign1, parse_sign1, sign1
from vc.encoding import b64url_decode
from vc.errors import ConfigurationError, FormatError
from vc.jose import PublicKey, Signer
from vc.statuslist import TokenStatusReference, parse_token_status_reference
from vc.times import from_numeric_date

#: The context prefix of a Tawtiq offline QR, layout version 1.
PREFIX: Final = "TQ1:"
#: The type a verifier reports for it: the baccalaureate diploma's SD-JWT VC type (``schemas.DIPLOMA_VCT``).
OFFLINE_CREDENTIAL_TYPE: Final = "urn:ma:men:credential:baccalaureate:1"
#: The report's profile name for it.
OFFLINE_PROFILE: Final = "tq1"
#: Longest text accepted: the capacity of a version 40 QR code in alphanumeric mode at level L. Printed codes are far
#: smaller (version 15 at level Q holds 426 characters); longer text is refused before it is decoded.
MAX_TEXT_CHARS: Final = 4296
#: Largest COSE message accepted after inflating: ten times what the ministry's credentials need.
MAX_INFLATED_BYTES: Final = 4096

CLAIM_ISS: Final = 1
CLAIM_EXP: Final = 4
CLAIM_IAT: Final = 6
CLAIM_STATUS: Final = 65535
CLAIM_DIPLOMA: Final = -65537

_BASE45_ALPHABET: Final = frozenset(ALPHABET)
_SESSION_TYPES: Final = ("normale", "rattrapage")
_MENTIONS: Final = ("passable", "assez_bien", "bien", "tres_bien")
_DIPLOMA_ITEMS: Final = 11
_EPOCH: Final = date(1970, 1, 1)
#: Windows-1256: Arabic letters and the French accented ones, one byte each.
_NAME_CODEC: Final = "cp1256"
#: Bytes of the key's thumbprint carried as ``kid``.
KID_BYTES: Final = 8


@dataclass(frozen=True, slots=True)
class OfflineDiploma:
    """What a person checks on the paper. Its ``repr`` shows no personal data."""

    credential_id: str
    family_name_ar: str
    family_name_lat: str
    given_name_ar: str
    given_name_lat: str
    birth_date: date
    cnie: str
    stream: str
    session_year: int
    session_type: str
    average: Decimal
    mention: str

    def __repr__(self) -> str:
        return f"OfflineDiploma({self.credential_id!r})"

    def claims(self) -> dict[str, Any]:
        """The claims as a verifier reports them: the diploma SD-JWT VC's names and shapes."""
        average = self.average
        return {
            "id": self.credential_id,
            "familyName": {"ar": self.family_name_ar, "lat": self.family_name_lat},
            "givenName": {"ar": self.given_name_ar, "lat": self.given_name_lat},
            "birthDate": self.birth_date.isoformat(),
            "cnie": self.cnie,
            "streamCode": self.stream,
            "session": {"year": self.session_year, "type": self.session_type},
            "generalAverage": int(average) if average == average.to_integral_value() else float(average),
            "mention": self.mention,
        }

    def _cbor(self) -> list[Any]:
        hundredths = self.average * 100
        if hundredths != hundredths.to_integral_value() or not 0 <= hundredths <= 2000:
            raise ConfigurationError(
                "the average must be between 0 and 20 with at most two decimals",
                code="offline.average_invalid",
                found=str(self.average),
                expected="e.g. 15.42",
            )
        if self.session_type not in _SESSION_TYPES or self.mention not in _MENTIONS:
            raise ConfigurationError(
                "the session type or the mention has no code in the offline QR",
                code="offline.code_invalid",
                found=[self.session_type, self.mention],
                expected=[list(_SESSION_TYPES), list(_MENTIONS)],
            )
        return [
            _uuid_bytes(self.credential_id),
            _name_item(self.family_name_ar),
            _name_item(self.family_name_lat),
            _name_item(self.given_name_ar),
            _name_item(self.given_name_lat),
            (self.birth_date - _EPOCH).days,
            self.cnie,
            self.stream,
            self.session_year * 10 + _SESSION_TYPES.index(self.session_type) + 1,
            int(hundredths),
            _MENTIONS.index(self.mention) + 1,
        ]


def _name_item(name: str) -> str | bytes:
    try:
        return name.encode(_NAME_CODEC)
    except UnicodeEncodeError:
        return name


@dataclass(frozen=True, slots=True)
class OfflineCredential:
    """A decoded, not yet verified, offline QR: the COSE message and the claims it signs."""

    message: Sign1
    issuer: str
    #: The ``kid``: the first :data:`KID_BYTES` bytes of the signing key's RFC 7638 thumbprint.
    kid: bytes
    issued_at: datetime
    expires_at: datetime | None
    status: TokenStatusReference
    diploma: OfflineDiploma

    def claims(self) -> dict[str, Any]:
        """The claims as a verifier reports them (:meth:`OfflineDiploma.claims` plus ``iss``, ``iat``, ``status``)."""
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "iat": int(self.issued_at.timestamp()),
            "vct": OFFLINE_CREDENTIAL_TYPE,
            "status": {"status_list": {"idx": self.status.index, "uri": self.status.uri}},
            **self.diploma.claims(),
        }
        if self.expires_at is not None:
            claims["exp"] = int(self.expires_at.timestamp())
        return claims


def issue_offline(
    diploma: OfflineDiploma,
    *,
    issuer: str,
    key: Signer,
    issued_at: datetime,
    status: TokenStatusReference,
    expires_at: datetime | None = None,
) -> str:
    """The ``TQ1:`` text of ``diploma`` signed by ``key`` (see the module docstring for the layout).

    Raises :class:`ConfigurationError`: ``offline.average_invalid``, ``offline.code_invalid`` (a session type or
    mention without a code), ``offline.id_invalid`` (a credential id that is not a UUID), and the signer's errors.
    """
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    claims: dict[int, Any] = {
        CLAIM_ISS: issuer,
        CLAIM_IAT: int(issued_at.timestamp()),
        CLAIM_STATUS: {"status_list": {"idx": status.index, "uri": status.uri}},
        CLAIM_DIPLOMA: diploma._cbor(),
    }
    if expires_at is not None:
        claims[CLAIM_EXP] = int(expires_at.timestamp())
    message = sign1(cbor.dumps(claims), key=key, kid=kid_of(key.public))
    return PREFIX + b45encode(zlib.compress(message, 9))


def decode_offline(text: str) -> OfflineCredential:
    """Decode a ``TQ1:`` text into its COSE message and claims, checking every bound and type; nothing is verified.

    Raises :class:`FormatError`: ``offline.prefix``, ``offline.too_large`` (text or inflated message past the bounds),
    ``offline.base45`` (a character outside the alphabet, or a truncated text), ``offline.compression`` (not one
    complete zlib stream), the ``cbor.*`` and ``cose.*`` codes of the message, ``offline.kid`` (no 32-byte protected
    ``kid``) and ``offline.claims`` (a claim missing or of the wrong type).
    """
    text = text.strip()
    if not text.startswith(PREFIX):
        raise FormatError(
            "this is not a Tawtiq offline QR",
            code="offline.prefix",
            found=repr(text[:4]) if text else "nothing",
            expected=f"text starting with {PREFIX!r}",
        )
    body = text[len(PREFIX) :]
    if len(body) > MAX_TEXT_CHARS:
        raise FormatError(
            "the offline QR text is too long",
            code="offline.too_large",
            found=f"{len(body)} characters",
            expected=f"at most {MAX_TEXT_CHARS}",
        )
    outside = sorted(set(body) - _BASE45_ALPHABET)
    if outside:
        raise FormatError(
            "the offline QR text has characters outside Base45",
            code="offline.base45",
            found=outside[:5],
            expected="0-9, A-Z, space and $%*+-./:",
        )
    try:
        compressed = b45decode(body)
    except Base45Error as exc:
        raise FormatError(
            "the offline QR text is not valid Base45: it may be cut short",
            code="offline.base45",
            found=exc.reason,
            expected="complete Base45 (RFC 9285)",
        ) from exc
    message = _inflate(compressed)
    sign1_message = parse_sign1(message, what="the offline QR's COSE_Sign1", max_bytes=MAX_INFLATED_BYTES)
    kid = sign1_message.protected.get(KID)
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise FormatError(
            "the offline QR names no key it can be checked with",
            code="offline.kid",
            found=f"a {len(kid)}-byte kid" if isinstance(kid, bytes) else "no protected kid",
            expected=f"the first {KID_BYTES} bytes of the issuer key's RFC 7638 thumbprint, protected",
        )
    claims = cbor.loads(sign1_message.payload, what="the offline QR's claims", max_bytes=MAX_INFLATED_BYTES)
    return _credential(sign1_message, kid, claims)


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=15)
    try:
        data = inflater.decompress(compressed, MAX_INFLATED_BYTES + 1)
    except zlib.error as exc:
        raise FormatError(
            "the offline QR is not zlib-compressed data",
            code="offline.compression",
            found=f"bytes starting {compressed[:2].hex() or '(none)'}",
            expected="one zlib stream (RFC 1950)",
        ) from exc
    if len(data) > MAX_INFLATED_BYTES:
        raise FormatError(
            "the offline QR inflates past the size limit",
            code="offline.too_large",
            found=f"more than {MAX_INFLATED_BYTES} bytes",
            expected=f"at most {MAX_INFLATED_BYTES} bytes",
        )
    if not inflater.eof or inflater.unused_data:
        raise FormatError(
            "the offline QR's compressed data is cut short or followed by other data",
            code="offline.compression",
            found="a truncated zlib stream" if not inflater.eof else f"{len(inflater.unused_data)} trailing bytes",
            expected="exactly one complete zlib stream",
        )
    return data


def _bad(what: str, found: Any, expected: str) -> FormatError:
    return FormatError(f"the offline QR's {what} is not valid", code="offline.claims", found=found, expected=expected)


def _text(value: Any, what: str, *, limit: int = 200) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise _bad(what, type(value).__name__ if not isinstance(value, str) else f"{len(value)} characters", "text")
    return value


def _pair(value: Any, what: str) -> tuple[str, str]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or len(value) != 2:
        raise _bad(what, type(value).__name__, "[Arabic, Latin]")
    return _text(value[0], what), _text(value[1], what)


def _credential(message: Sign1, kid: bytes, claims: Any) -> OfflineCredential:
    if not isinstance(claims, Mapping):
        raise _bad("claims", type(claims).__name__, "a CWT claims map")
    issuer = _text(claims.get(CLAIM_ISS), "issuer (iss)", limit=2000)
    issued = claims.get(CLAIM_IAT)
    issued_at = None
    if isinstance(issued, int) and not isinstance(issued, bool) and issued >= 0:
        issued_at = from_numeric_date(issued)
    if issued_at is None:
        raise _bad("signing time (iat)", issued, "seconds since 1970")
    expires_at = None
    if CLAIM_EXP in claims:
        expires = claims[CLAIM_EXP]
        expires_at = from_numeric_date(expires) if isinstance(expires, int) and not isinstance(expires, bool) else None
        if expires_at is None:
            raise _bad("expiry (exp)", expires, "seconds since 1970")
    if CLAIM_STATUS not in claims:
        raise _bad("status reference", "none", "a status claim (65535)")
    status = parse_token_status_reference(claims[CLAIM_STATUS])
    return OfflineCredential(
        message=message,
        issuer=issuer,
        kid=kid,
        issued_at=issued_at,
        expires_at=expires_at,
        status=status,
        diploma=_diploma(claims.get(CLAIM_DIPLOMA)),
    )


def _name(value: Any, what: str) -> str:
    if isinstance(value, bytes):
        try:
            value = value.decode(_NAME_CODEC)
        except UnicodeDecodeError as exc:
            raise _bad(what, "bytes without a Windows-1256 character", "a Windows-1256 name") from exc
    return _text(value, what)


def _integer(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(what, value if isinstance(value, int) else type(value).__name__, f"an integer from {low} to {high}")
    return value


def _diploma(value: Any) -> OfflineDiploma:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or len(value) != _DIPLOMA_ITEMS:
        found = f"{len(value)} items" if isinstance(value, Sequence) else type(value).__name__
        raise _bad("diploma", found if value is not None else "none", f"an array of {_DIPLOMA_ITEMS} items")
    identifier = value[0]
    if not isinstance(identifier, bytes) or len(identifier) != 16:
        raise _bad("credential id", type(identifier).__name__, "a 16-byte UUID")
    birth = _integer(value[5], "birth date", (date(1900, 1, 1) - _EPOCH).days, (date(2100, 12, 31) - _EPOCH).days)
    session = _integer(value[8], "session", 19501, 21002)
    if session % 10 not in (1, 2):
        raise _bad("session", session, "year * 10 + 1 (normale) or + 2 (rattrapage)")
    return OfflineDiploma(
        credential_id=f"urn:uuid:{uuid.UUID(bytes=identifier)}",
        family_name_ar=_name(value[1], "family name"),
        family_name_lat=_name(value[2], "family name"),
        given_name_ar=_name(value[3], "given name"),
        given_name_lat=_name(value[4], "given name"),
        birth_date=_EPOCH + timedelta(days=birth),
        cnie=_text(value[6], "CNIE number", limit=10),
        stream=_text(value[7], "stream", limit=16),
        session_year=session // 10,
        session_type=_SESSION_TYPES[session % 10 - 1],
        average=Decimal(_integer(value[9], "average", 0, 2000)) / 100,
        mention=_MENTIONS[_integer(value[10], "mention", 1, len(_MENTIONS)) - 1],
    )


def _uuid_bytes(credential_id: str) -> bytes:
    try:
        return uuid.UUID(credential_id.removeprefix("urn:uuid:")).bytes
    except ValueError as exc:
        raise ConfigurationError(
            "the credential id is not a UUID", code="offline.id_invalid", found=credential_id, expected="urn:uuid:…"
        ) from exc


def kid_of(key: PublicKey) -> bytes:
    """The ``kid`` an offline QR signed by ``key`` carries: the first bytes of its RFC 7638 thumbprint."""
    return b64url_decode(key.thumbprint(), what="thumbprint")[:KID_BYTES]
