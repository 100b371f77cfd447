"""An issuer's key history: every key with its validity window, and the rule for which key verifies what.

Pure: no I/O and no clock. Times come in as aware datetimes; the history is kept at whole seconds, the
precision of the JWT ``iat`` a token carries and of the NumericDates in the published JWKS.

The acceptance rule (DESIGN §4): a compromised key verifies nothing, whatever signing time a token claims;
any other key verifies a token only if the token's signing time lies in its window,
``not_before <= signed_at < retired_at``. A retired key therefore keeps verifying what it signed while it
was active (a 2024 diploma still verifies in 2054). A compromised key fails everything because the signing
time inside a token (``iat``, ``validFrom``) is chosen by whoever holds the key: a thief backdates it, so
no date in the token separates the issuer's copies from forgeries. The issuer re-issues what the key signed.

JWKS convention (see :meth:`KeyHistory.to_jwks`): ``keys`` holds only the keys that may verify signatures,
each with its window in extra members, which RFC 7517 §4 tells other software to ignore:

* ``nbf`` — ``not_before`` as a NumericDate, the JWK member OpenID Federation 1.0 uses for historical
  keys (with JWT ``nbf`` semantics).
* ``tawtiq_retired_at`` — ``retired_at`` as a NumericDate. No published member fits: JWK ``exp`` is
  read by common libraries as "do not use this key after", which a verifier applies at verification
  time and which would wrongly fail a 2024 diploma in 2054; and ``revoked`` would mark an honestly
  retired key as untrustworthy. So retirement is a member of our own, namespaced.

A compromised key is not in ``keys`` at all, so that any standard SD-JWT VC or VC-JOSE verifier, which knows
nothing of windows, finds no key for its ``kid`` and refuses. It is kept in the JWK Set's own extension
member ``tawtiq_compromised_keys`` (RFC 7517 §4: members a reader does not understand are ignored), with
``revoked: {"revoked_at": <NumericDate>, "reason": "compromised"}`` — the revocation object of the OpenID
Federation 1.0 historical keys response — so that our own verifier can say when the issuer declared it
compromised. A ``revoked`` JWK found inside ``keys`` (another issuer's set, an older file) is read the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from vc.errors import ConfigurationError, FormatError, KeyResolutionError
from vc.jose import PublicKey, select_key
from vc.times import parse_numeric_date

#: JWK members holding the key itself, per key type (RFC 7518 §6, RFC 8037 §2).
_KEY_MEMBERS: Final = {"EC": ("kty", "crv", "x", "y"), "OKP": ("kty", "crv", "x"), "RSA": ("kty", "n", "e")}
#: JWK members that only a private or symmetric key has; a published JWKS must have none of them.
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: Reasons the OpenID Federation 1.0 ``revoked`` object may give. Each is read as a compromise.
_REVOCATION_REASONS: Final = frozenset({"unspecified", "compromised", "superseded"})
#: Member names of the window, as published.
NOT_BEFORE_MEMBER: Final = "nbf"
RETIRED_AT_MEMBER: Final = "tawtiq_retired_at"
REVOKED_MEMBER: Final = "revoked"
#: JWK Set member holding the compromised keys, out of ``keys`` so that no standard verifier uses them.
COMPROMISED_KEYS_MEMBER: Final = "tawtiq_compromised_keys"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND: Final = timedelta(seconds=1)


class KeyState(StrEnum):
    """Where a key stands at a given moment."""

    PENDING = "pending"
    ACTIVE = "active"
    RETIRED = "retired"
    COMPROMISED = "compromised"


def aware_utc(value: datetime, *, what: str) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes (ConfigurationError ``key.time_naive``)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(
            f"{what} must be a timezone-aware datetime",
            code="key.time_naive",
            found=repr(value),
            expected="an aware datetime, e.g. datetime(..., tzinfo=UTC)",
        )
    return value.astimezone(UTC)


def floor_to_second(value: datetime, *, what: str = "time") -> datetime:
    """``value`` in UTC, rounded down to the whole second."""
    return aware_utc(value, what=what).replace(microsecond=0)


def ceil_to_second(value: datetime, *, what: str = "time") -> datetime:
    """``value`` in UTC, rounded up to the whole second."""
    utc = aware_utc(value, what=what)
    return utc if utc.microsecond == 0 else utc.replace(microsecond=0) + _ONE_SECOND


def to_numeric_date(value: datetime) -> int:
    """Seconds since the epoch (RFC 7519 §2 NumericDate) of a whole-second UTC datetime."""
    return (value - _EPOCH) // _ONE_SECOND


def _entry_time(value: datetime, *, what: str) -> datetime:
    utc = aware_utc(value, what=what)
    if utc.microsecond:
        raise ConfigurationError(
            f"{what} must be a whole second",
            code="key.time_precision",
            found=utc.isoformat(),
            expected="a time without fractional seconds (the precision of 'iat' and of JWKS NumericDates)",
        )
    return utc


def compromised_key_error(kid: str, compromised_at: datetime) -> KeyResolutionError:
    """The refusal of every signature by a compromised key (code ``key.compromised``)."""
    return KeyResolutionError(
        f"the issuer declared this key compromised on {compromised_at.date().isoformat()} and re-issues the "
        "diplomas it signed; nothing signed with it is accepted, whatever date the token claims",
        code="key.compromised",
        found=f"kid {kid}, compromised at {compromised_at.isoformat()}",
        expected="a signature by one of the issuer's keys that is not compromised (ask the graduate for the "
        "re-issued diploma)",
    )


@dataclass(frozen=True, eq=False)
class KeyEntry:
    """One key of an issuer and its validity window.

    All times are aware, UTC, whole seconds. ``retired_at`` and ``compromised_at`` are each at or after
    ``not_before``; a key may be compromised after (or before) it was retired. The key's ``kid`` is its
    RFC 7638 thumbprint; a ``PublicKey`` without a ``kid`` gets it, one with another ``kid`` is refused.
    A ``foreign`` entry (another issuer's key, read by :func:`keys.foreign.foreign_key_history`) keeps the
    ``kid`` its issuer gave it, any string (its thumbprint when it has none).
    Raises :class:`ConfigurationError` (``key.time_naive``, ``key.time_precision``,
    ``key.window_invalid``, ``key.kid_mismatch``).

    Two entries are equal when they hold the same key (by thumbprint) with the same window.
    """

    key: PublicKey
    not_before: datetime
    retired_at: datetime | None = None
    compromised_at: datetime | None = None
    foreign: bool = field(default=False, kw_only=True)
    _kid: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, PublicKey):
            raise ConfigurationError(
                "a key entry needs a vc.jose.PublicKey", code="key.invalid", found=type(self.key).__name__
            )
        kid = self.key.thumbprint()
        if self.foreign and self.key.kid is not None:
            kid = self.key.kid
        elif self.key.kid is not None and self.key.kid != kid:
            raise ConfigurationError(
                "the key's kid is not its RFC 7638 thumbprint",
                code="key.kid_mismatch",
                found=self.key.kid,
                expected=kid,
            )
        members = {name: self.key.jwk[name] for name in _KEY_MEMBERS[self.key.jwk["kty"]]}
        normalised = PublicKey(
            key=self.key.key,
            jwk={**members, "kid": kid, "alg": self.key.algorithm},
            kid=kid,
            algorithm=self.key.algorithm,
        )
        object.__setattr__(self, "key", normalised)
        object.__setattr__(self, "_kid", kid)
        not_before = _entry_time(self.not_before, what="not_before")
        object.__setattr__(self, "not_before", not_before)
        for name in ("retired_at", "compromised_at"):
            value = getattr(self, name)
            if value is None:
                continue
            value = _entry_time(value, what=name)
            if value < not_before:
                raise ConfigurationError(
                    f"{name} is before not_before",
                    code="key.window_invalid",
                    found=f"{name} {value.isoformat()}",
                    expected=f"at or after not_before {not_before.isoformat()}",
                )
            object.__setattr__(self, name, value)

    @property
    def kid(self) -> str:
        """The key identifier: the RFC 7638 thumbprint of the public key."""
        return self._kid

    @property
    def algorithm(self) -> str:
        """The one JWS algorithm this key serves."""
        return self.key.algorithm

    def status(self, at: datetime) -> KeyState:
        """The key's state at ``at``: compromised, else retired, else pending or active."""
        when = aware_utc(at, what="at")
        if self.compromised_at is not None and when >= self.compromised_at:
            return KeyState.COMPROMISED
        if self.retired_at is not None and when >= self.retired_at:
            return KeyState.RETIRED
        if when < self.not_before:
            return KeyState.PENDING
        return KeyState.ACTIVE

    def check_signing_time(self, signed_at: datetime | None) -> None:
        """Raise :class:`KeyResolutionError` unless this key may verify a token signed at ``signed_at``.

        A compromised key never verifies, whatever ``signed_at`` says: the signing time a token claims is
        chosen by whoever holds the key. Otherwise ``signed_at`` must lie in the key's window; ``None`` (the
        token claims no signing time) passes a retired key, since retirement only bounds signing. Codes:
        ``key.compromised``, ``key.not_yet_valid``, ``key.retired``.
        """
        if self.compromised_at is not None:
            raise compromised_key_error(self.kid, self.compromised_at)
        self.check_window(signed_at)

    def check_window(self, signed_at: datetime | None) -> None:
        """Raise :class:`KeyResolutionError` (``key.not_yet_valid``, ``key.retired``) unless ``signed_at`` lies in
        ``not_before <= signed_at < retired_at`` (``None`` passes). Compromise is not looked at here."""
        if signed_at is None:
            return
        when = aware_utc(signed_at, what="signed_at")
        if when < self.not_before:
            raise KeyResolutionError(
                "the token claims to be signed before its key was valid",
                code="key.not_yet_valid",
                found=f"kid {self.kid}, signed at {when.isoformat()}",
                expected=f"signed at or after {self.not_before.isoformat()}",
            )
        if self.retired_at is not None and when >= self.retired_at:
            raise KeyResolutionError(
                "the token was signed by a retired key after its retirement",
                code="key.retired",
                found=f"kid {self.kid}, signed at {when.isoformat()}",
                expected=f"signed before {self.retired_at.isoformat()}",
            )

    def covers(self, signed_at: datetime | None) -> bool:
        """Whether ``signed_at`` lies in this key's window, compromised or not (see :meth:`check_window`)."""
        try:
            self.check_window(signed_at)
        except KeyResolutionError:
            return False
        return True

    def _identity(self) -> tuple[str, str, datetime, datetime | None, datetime | None]:
        return (self.kid, self.algorithm, self.not_before, self.retired_at, self.compromised_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyEntry):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        window = f"not_before={self.not_before.isoformat()}"
        if self.retired_at is not None:
            window += f", retired_at={self.retired_at.isoformat()}"
        if self.compromised_at is not None:
            window += f", compromised_at={self.compromised_at.isoformat()}"
        return f"KeyEntry(kid={self.kid!r}, algorithm={self.algorithm!r}, {window})"


@dataclass(frozen=True)
class KeyHistory:
    """Every key an issuer has had, oldest first. Immutable: changes return a new history.

    Raises :class:`ConfigurationError` (``key.duplicate_kid``) when two entries share a ``kid``.
    """

    entries: tuple[KeyEntry, ...] = ()
    #: Keys another issuer publishes that may not verify signatures here, ``(kid, why)``: read from a foreign
    #: key set (:func:`keys.foreign.foreign_key_history`) so that a token naming one is told why.
    unusable: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        entries = tuple(self.entries)
        for entry in entries:
            if not isinstance(entry, KeyEntry):
                raise ConfigurationError(
                    "a key history holds KeyEntry objects", code="key.invalid", found=type(entry).__name__
                )
        seen: set[str] = set()
        for entry in entries:
            if entry.kid in seen:
                raise ConfigurationError("two keys share a kid", code="key.duplicate_kid", found=entry.kid)
            seen.add(entry.kid)
        object.__setattr__(self, "entries", entries)

    @property
    def kids(self) -> tuple[str, ...]:
        """The ``kid`` of every key, oldest first."""
        return tuple(entry.kid for entry in self.entries)

    def entry(self, kid: str) -> KeyEntry:
        """The entry for ``kid``. Raises :class:`ConfigurationError` (``key.unknown_kid``)."""
        for entry in self.entries:
            if entry.kid == kid:
                return entry
        raise ConfigurationError(
            "no key with this kid in the key history", code="key.unknown_kid", found=kid, expected=list(self.kids)
        )

    def active_signing_kid(self, at: datetime) -> str:
        """The ``kid`` of the newest key active at ``at`` (latest ``not_before``; on a tie, added last).

        Raises :class:`ConfigurationError` (``key.no_active_key``) when no key is active at ``at``.
        """
        active = [entry for entry in self.entries if entry.status(at) is KeyState.ACTIVE]
        if not active:
            raise ConfigurationError(
                "no signing key is active at this time",
                code="key.no_active_key",
                found={entry.kid: str(entry.status(at)) for entry in self.entries} or "no keys",
                expected=f"a key with not_before <= {aware_utc(at, what='at').isoformat()}, neither retired nor "
                "compromised; create or rotate a key",
            )
        return max(enumerate(active), key=lambda item: (item[1].not_before, item[0]))[1].kid

    def with_entry(self, entry: KeyEntry) -> KeyHistory:
        """A history with ``entry`` added. Raises :class:`ConfigurationError` (``key.duplicate_kid``)."""
        return KeyHistory((*self.entries, entry))

    def retire(self, kid: str, at: datetime) -> KeyHistory:
        """A history where ``kid`` stops signing at ``at`` (rounded up to the second) and keeps verifying
        what it signed before.

        Raises :class:`ConfigurationError`: ``key.unknown_kid``, ``key.already_retired``,
        ``key.already_compromised`` (a compromised key already verifies nothing newer), or
        ``key.before_not_before``.
        """
        entry = self.entry(kid)
        if entry.retired_at is not None:
            raise ConfigurationError(
                "the key is already retired",
                code="key.already_retired",
                found=f"kid {kid}, retired at {entry.retired_at.isoformat()}",
                expected="a key that is not retired",
            )
        if entry.compromised_at is not None:
            raise ConfigurationError(
                "the key is compromised; retiring it would change nothing",
                code="key.already_compromised",
                found=f"kid {kid}, compromised at {entry.compromised_at.isoformat()}",
                expected="a key that is not compromised",
            )
        when = self._not_before_window(entry, at, what="retirement")
        return self._replaced(entry, retired_at=ceil_to_second(when))

    def compromise(self, kid: str, at: datetime) -> KeyHistory:
        """A history where ``kid`` is compromised from ``at`` (rounded down to the second): nothing it signed
        verifies any more, before or after ``at`` (see :meth:`KeyEntry.check_signing_time`).

        ``at`` is when the key may first have been exposed, which can lie in the past and even before its
        retirement; it is published and shown to verifiers, and it bounds nothing. Raises
        :class:`ConfigurationError`: ``key.unknown_kid``, ``key.already_compromised`` or ``key.before_not_before``.
        """
        entry = self.entry(kid)
        if entry.compromised_at is not None:
            raise ConfigurationError(
                "the key is already compromised",
                code="key.already_compromised",
                found=f"kid {kid}, compromised at {entry.compromised_at.isoformat()}",
                expected="a key that is not compromised",
            )
        when = self._not_before_window(entry, at, what="compromise")
        return self._replaced(entry, compromised_at=floor_to_second(when))

    def key_for(self, *, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        """The key that may verify a token with this ``kid`` signed at ``signed_at``.

        With a ``kid``, that key, if it is not compromised and its window contains ``signed_at`` (see
        :meth:`KeyEntry.check_signing_time`; ``None`` passes a retired key).
        Without a ``kid``, :func:`vc.jose.select_key` among the keys whose window contains ``signed_at``,
        compromised ones included (a compromised key that might be the signer makes the choice ambiguous): the
        only one for ``algorithm``, refused if it is compromised. Raises :class:`KeyResolutionError`:
        ``key.unknown_kid``, ``key.not_yet_valid``, ``key.retired``, ``key.compromised``.
        """
        if kid is not None:
            found = next((entry for entry in self.entries if entry.kid == kid), None)
            if found is None:
                reason = dict(self.unusable).get(kid)
                if reason is not None:
                    raise KeyResolutionError(
                        "the issuer's key with this kid may not verify signatures",
                        code="key.unusable",
                        found=f"kid {kid}: {reason}",
                        expected="a signature key (no 'use', or 'use': 'sig') of a supported type and algorithm",
                    )
                raise KeyResolutionError(
                    "the issuer has no key with this kid",
                    code="key.unknown_kid",
                    found=kid,
                    expected=list(self.kids),
                )
            found.check_signing_time(signed_at)
            return found.key
        in_window = [entry for entry in self.entries if entry.covers(signed_at)]
        candidates = [entry.key for entry in in_window]
        if not candidates:
            raise KeyResolutionError(
                "the token names no kid and no key of the issuer was valid when it claims to be signed",
                code="key.unknown_kid",
                found=f"signed at {signed_at.isoformat() if signed_at else 'an unstated time'}",
                expected="a kid header naming one key",
            )
        chosen = select_key(candidates, kid=None, algorithm=algorithm)
        next(entry for entry in in_window if entry.key is chosen).check_signing_time(signed_at)
        return chosen

    def candidates(self, *, algorithm: str, signed_at: datetime | None) -> tuple[PublicKey, ...]:
        """The keys for ``algorithm`` whose window contains ``signed_at``, compromised ones included (resolving one by
        its ``kid`` with :meth:`key_for` then refuses it)."""
        return tuple(entry.key for entry in self.entries if entry.algorithm == algorithm and entry.covers(signed_at))

    def to_jwks(self) -> dict[str, Any]:
        """The history as a JWK Set of public keys with their windows (see the module docstring).

        ``keys`` holds every key that is not compromised: its key members, ``kid`` (RFC 7638 thumbprint),
        ``alg``, ``use: "sig"``, ``nbf``, and when set ``tawtiq_retired_at``. Compromised keys are listed,
        the same way plus ``revoked: {"revoked_at", "reason": "compromised"}``, under
        ``tawtiq_compromised_keys`` only (absent when there are none).
        """
        keys: list[dict[str, Any]] = []
        compromised: list[dict[str, Any]] = []
        for entry in self.entries:
            jwk: dict[str, Any] = {name: entry.key.jwk[name] for name in _KEY_MEMBERS[entry.key.jwk["kty"]]}
            jwk.update(kid=entry.kid, alg=entry.algorithm, use="sig")
            jwk[NOT_BEFORE_MEMBER] = to_numeric_date(entry.not_before)
            if entry.retired_at is not None:
                jwk[RETIRED_AT_MEMBER] = to_numeric_date(entry.retired_at)
            if entry.compromised_at is None:
                keys.append(jwk)
            else:
                jwk[REVOKED_MEMBER] = {"revoked_at": to_numeric_date(entry.compromised_at), "reason": "compromised"}
                compromised.append(jwk)
        document: dict[str, Any] = {"keys": keys}
        if compromised:
            document[COMPROMISED_KEYS_MEMBER] = compromised
        return document

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> KeyHistory:
        """Parse a JWK Set written by :meth:`to_jwks`, strictly.

        Every JWK must be public, have ``kid`` equal to its RFC 7638 thumbprint, ``alg`` matching the
        key, ``use: "sig"`` and an integer ``nbf``; ``tawtiq_retired_at`` and ``revoked`` are optional.
        Any ``revoked`` object, whatever its ``reason``, is read as a compromise at ``revoked_at`` (the
        safe reading); every JWK under ``tawtiq_compromised_keys`` must have one. ``exp`` is refused rather
        than guessed at. Members that do not concern keys are ignored (RFC 7517 §4, §5). Raises
        :class:`FormatError`: ``key.jwks_invalid``, ``key.jwk_invalid``, ``key.jwk_private``,
        ``key.kid_mismatch``, ``key.jwk_time_invalid``, ``key.jwk_exp_unsupported``, ``key.duplicate_kid``,
        ``key.window_invalid``, ``key.unsupported``.
        """
        if not isinstance(document, Mapping):
            raise FormatError(
                "JWK Set is not a JSON object",
                code="key.jwks_invalid",
                found=type(document).__name__,
                expected='{"keys": [...]}',
            )
        keys = document.get("keys")
        if not isinstance(keys, list):
            raise FormatError(
                "JWK Set has no 'keys' array",
                code="key.jwks_invalid",
                found=type(keys).__name__ if "keys" in document else "no 'keys'",
                expected='{"keys": [...]}',
            )
        entries = [_entry_from_jwk(jwk, where=f"keys[{index}]") for index, jwk in enumerate(keys)]
        for index, jwk in enumerate(compromised_jwks(document)):
            where = f"{COMPROMISED_KEYS_MEMBER}[{index}]"
            entry = _entry_from_jwk(jwk, where=where)
            if entry.compromised_at is None:
                raise _not_revoked(where)
            entries.append(entry)
        return cls(_unique(entries))

    def _not_before_window(self, entry: KeyEntry, at: datetime, *, what: str) -> datetime:
        when = aware_utc(at, what=f"{what} time")
        if when < entry.not_before:
            raise ConfigurationError(
                f"the {what} time is before the key became valid",
                code="key.before_not_before",
                found=f"kid {entry.kid}, {what} at {when.isoformat()}",
                expected=f"at or after not_before {entry.not_before.isoformat()}",
            )
        return when

    def _replaced(
        self, entry: KeyEntry, *, retired_at: datetime | None = None, compromised_at: datetime | None = None
    ) -> KeyHistory:
        updated = KeyEntry(
            key=entry.key,
            not_before=entry.not_before,
            retired_at=retired_at if retired_at is not None else entry.retired_at,
            compromised_at=compromised_at if compromised_at is not None else entry.compromised_at,
            foreign=entry.foreign,
        )
        return KeyHistory(tuple(updated if item.kid == entry.kid else item for item in self.entries))


def compromised_jwks(document: Mapping[str, Any]) -> list[Any]:
    """The JWKs listed under ``tawtiq_compromised_keys`` (none when absent).

    Raises :class:`FormatError` ``key.jwks_invalid`` when the member is not an array."""
    listed = document.get(COMPROMISED_KEYS_MEMBER, [])
    if not isinstance(listed, list):
        raise FormatError(
            f"JWK Set member '{COMPROMISED_KEYS_MEMBER}' is not an array",
            code="key.jwks_invalid",
            found=type(listed).__name__,
            expected="an array of JWKs, each with 'revoked'",
        )
    return listed


def _not_revoked(where: str) -> FormatError:
    return FormatError(
        f"{where} is listed as compromised but has no 'revoked' object",
        code="key.jwk_invalid",
        found="no 'revoked'",
        expected='{"revoked_at": <NumericDate>, "reason": "compromised"}',
    )


def _unique(entries: list[KeyEntry]) -> tuple[KeyEntry, ...]:
    seen: set[str] = set()
    for entry in entries:
        if entry.kid in seen:
            raise FormatError("two JWKs share a kid", code="key.duplicate_kid", found=entry.kid)
        seen.add(entry.kid)
    return tuple(entries)


def _published_jwk(jwk: Any, *, where: str) -> Mapping[str, Any]:
    """``jwk`` as a published key: a JSON object without private key members.

    Raises :class:`FormatError` ``key.jwk_invalid`` (not an object) or ``key.jwk_private``."""
    if not isinstance(jwk, Mapping):
        raise FormatError(f"{where} is not a JSON object", code="key.jwk_invalid", found=type(jwk).__name__)
    private = sorted(_PRIVATE_MEMBERS.intersection(jwk))
    if private:
        raise FormatError(
            f"{where} has private key members; a published key set must hold public keys only",
            code="key.jwk_private",
            found=private,
            expected="public members only",
        )
    return jwk


def _refuse_exp(jwk: Mapping[str, Any], *, where: str) -> None:
    """Raises :class:`FormatError` ``key.jwk_exp_unsupported`` when the JWK has ``exp``."""
    if "exp" in jwk:
        raise FormatError(
            f"{where} has 'exp', whose meaning for a signing key's window is not agreed",
            code="key.jwk_exp_unsupported",
            found=jwk["exp"],
            expected=f"'{RETIRED_AT_MEMBER}' for retirement, 'revoked' for compromise",
        )


def _entry_from_jwk(jwk: Any, *, where: str) -> KeyEntry:
    jwk = _published_jwk(jwk, where=where)
    kty = jwk.get("kty")
    if kty not in _KEY_MEMBERS:
        raise FormatError(
            f"{where} has an unsupported key type", code="key.unsupported", found=kty, expected="EC, OKP or RSA"
        )
    kid, alg, use = jwk.get("kid"), jwk.get("alg"), jwk.get("use")
    if not isinstance(kid, str) or not kid:
        raise FormatError(
            f"{where} has no 'kid'", code="key.jwk_invalid", found=kid, expected="the RFC 7638 thumbprint"
        )
    if not isinstance(alg, str):
        raise FormatError(f"{where} has no 'alg'", code="key.jwk_invalid", found=alg, expected="the key's algorithm")
    if use != "sig":
        raise FormatError(f"{where} is not a signature key", code="key.jwk_invalid", found=use, expected="use 'sig'")
    _refuse_exp(jwk, where=where)
    material = {name: jwk[name] for name in _KEY_MEMBERS[kty] if name in jwk}
    try:
        public = PublicKey.from_jwk({**material, "alg": alg})
    except (FormatError, KeyResolutionError) as exc:
        raise FormatError(f"{where}: {exc.summary}", code=exc.code, found=exc.found, expected=exc.expected) from exc
    thumbprint = public.thumbprint()
    if kid != thumbprint:
        raise FormatError(
            f"{where} 'kid' is not the key's RFC 7638 thumbprint",
            code="key.kid_mismatch",
            found=kid,
            expected=thumbprint,
        )
    not_before = _numeric_date(jwk, NOT_BEFORE_MEMBER, where=where)
    retired_at = _numeric_date(jwk, RETIRED_AT_MEMBER, where=where) if RETIRED_AT_MEMBER in jwk else None
    compromised_at = _revoked_at(jwk, where=where)
    try:
        return KeyEntry(
            key=PublicKey(key=public.key, jwk=public.jwk, kid=kid, algorithm=public.algorithm),
            not_before=not_before,
            retired_at=retired_at,
            compromised_at=compromised_at,
        )
    except ConfigurationError as exc:
        raise FormatError(f"{where}: {exc.summary}", code=exc.code, found=exc.found, expected=exc.expected) from exc


def _numeric_date(container: Mapping[str, Any], name: str, *, where: str) -> datetime:
    if name not in container:
        raise FormatError(
            f"{where} has no '{name}'", code="key.jwk_time_invalid", expected=f"'{name}' as a NumericDate"
        )
    return parse_numeric_date(
        container[name], what=f"{where} '{name}'", code="key.jwk_time_invalid", whole_seconds=True
    )


def _revoked_at(jwk: Mapping[str, Any], *, where: str) -> datetime | None:
    if REVOKED_MEMBER not in jwk:
        return None
    revoked = jwk[REVOKED_MEMBER]
    if not isinstance(revoked, Mapping):
        raise FormatError(
            f"{where} 'revoked' is not a JSON object",
            code="key.jwk_invalid",
            found=type(revoked).__name__,
            expected='{"revoked_at": <NumericDate>, "reason": "compromised"}',
        )
    reason = revoked.get("reason", "unspecified")
    if reason not in _REVOCATION_REASONS:
        raise FormatError(
            f"{where} 'revoked' has an unknown reason",
            code="key.jwk_invalid",
            found=reason,
            expected=sorted(_REVOCATION_REASONS),
        )
    return _numeric_date(revoked, "revoked_at", where=f"{where} 'revoked'")


@dataclass(frozen=True)
class KeyHistoryResolver:
    """A :class:`vc.jose.KeyResolver` over the key histories of known issuers (identifier → history).

    Raises :class:`KeyResolutionError` ``key.unknown_issuer`` for an issuer it has no keys for, and
    otherwise whatever :meth:`KeyHistory.key_for` raises.
    """

    histories: Mapping[str, KeyHistory]

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        """Return the issuer's key for ``kid`` if it may verify a token signed at ``signed_at``."""
        history = self.histories.get(issuer)
        if history is None or not (history.entries or history.unusable):
            raise KeyResolutionError(
                "no keys are known for this issuer",
                code="key.unknown_issuer",
                found=issuer,
                expected=sorted(self.histories),
            )
        return history.key_for(kid=kid, algorithm=algorithm, signed_at=signed_at)

    def candidates(self, *, issuer: str, algorithm: str, signed_at: datetime | None) -> tuple[PublicKey, ...]:
        """The :class:`vc.jose.KeyCandidates` contract: the issuer's keys for ``algorithm`` valid at ``signed_at``."""
        history = self.histories.get(issuer)
        return history.candidates(algorithm=algorithm, signed_at=signed_at) if history is not None else ()
