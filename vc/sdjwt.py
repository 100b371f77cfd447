"""Selective Disclosure for JWTs, exactly as RFC 9901 specifies it.

Issuance turns chosen claims into disclosures (object properties, array elements, nested and
recursive), adds decoy digests, sorts every ``_sd`` array and binds the holder's key in ``cnf``.
Holders select disclosures by claim path and add a Key Binding JWT. Verifiers process disclosures with
every check of RFC 9901 §7.1 and verify the KB-JWT per §7.3; the numbered comments cite the steps.

Signing and signature verification are the caller's (``vc.jose``); this module never sees a clock or
a network, and randomness for salts and decoys is injected.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from vc.claims import ClaimPath, format_claim_path, is_prefix, lookup, path_matches
from vc.encoding import MAX_JSON_DEPTH, b64url_decode, b64url_encode, json_dumps, json_loads
from vc.errors import ConfigurationError, DisclosureError, FormatError, HolderBindingError, TawtiqError
from vc.jose import PublicKey, Signer, SigningKey, check_header, parse_compact, sign_compact

#: The only hash algorithm this engine issues and accepts (RFC 9901 §4.1.1, IANA "sha-256").
HASH_ALGORITHM: Final = "sha-256"
#: 128 bits of salt per disclosure (RFC 9901 §4.2.1 recommends at least 128).
SALT_BYTES: Final = 16
KB_JWT_TYPE: Final = "kb+jwt"
#: Names a disclosure may never carry (RFC 9901 §4.2.1).
RESERVED_NAMES: Final = frozenset({"_sd", "..."})

RandomBytes = Callable[[int], bytes]


def digest_of(encoded: str) -> str:
    """base64url(SHA-256(ASCII bytes of ``encoded`` as transmitted)) — never of re-serialised JSON.

    The one hash of RFC 9901 (``_sd_alg: sha-256``): a disclosure's digest (§4.2.3) and the KB-JWT's
    ``sd_hash`` over ``<JWT>~<D1>~…~<Dn>~`` (§4.3.1).
    """
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


class Disclosure(NamedTuple):
    """One disclosure: its transmitted form, its digest and its decoded content.

    Immutable; a named tuple because verification builds one per disclosure on the hot path.
    """

    encoded: str
    digest: str
    salt: str
    name: str | None
    value: Any

    @classmethod
    def create(cls, *, salt: str, name: str | None, value: Any) -> Disclosure:
        """Build a disclosure for an object property (``name`` set) or an array element (``name`` None)."""
        if name is not None and name in RESERVED_NAMES:
            raise ConfigurationError(
                "a reserved name cannot be made selectively disclosable", code="sd_jwt.reserved_name", found=name
            )
        content = [salt, value] if name is None else [salt, name, value]
        encoded = b64url_encode(json_dumps(content))
        return cls(encoded, digest_of(encoded), salt, name, value)

    @classmethod
    def parse(cls, encoded: str) -> Disclosure:
        """Decode a received disclosure (RFC 9901 §7.1 step 3.2.1-3.2.2). Raises :class:`DisclosureError`."""
        try:
            content = json_loads(b64url_decode(encoded, what="disclosure"), what="disclosure")
        except FormatError as exc:
            raise DisclosureError(
                "disclosure is not base64url-encoded JSON", code="sd_jwt.disclosure_malformed", found=exc.found
            ) from exc
        # The common case first, cheaply: [salt, name, value] or [salt, value] with string salt and name.
        if type(content) is list and type(content[0] if content else None) is str:
            if len(content) == 3 and type(content[1]) is str and content[1] not in RESERVED_NAMES:
                return cls(encoded, digest_of(encoded), content[0], content[1], content[2])
            if len(content) == 2:
                return cls(encoded, digest_of(encoded), content[0], None, content[1])
        raise _malformed(content)


def _malformed(content: Any) -> DisclosureError:
    """Say precisely what is wrong with a decoded disclosure the fast path did not accept."""
    if not isinstance(content, list) or len(content) not in (2, 3):
        return DisclosureError(
            "disclosure must be a JSON array of 2 or 3 elements",
            code="sd_jwt.disclosure_arity",
            found=f"{type(content).__name__} of {len(content)} elements"
            if isinstance(content, list)
            else type(content).__name__,
            expected="[salt, name, value] or [salt, value]",
        )
    if not isinstance(content[0], str):
        return DisclosureError(
            "disclosure salt must be a string", code="sd_jwt.disclosure_malformed", found=type(content[0]).__name__
        )
    name = content[1]
    if not isinstance(name, str):
        return DisclosureError(
            "disclosure claim name must be a string", code="sd_jwt.disclosure_malformed", found=type(name).__name__
        )
    return DisclosureError(
        "disclosure uses a reserved claim name",
        code="sd_jwt.reserved_name",
        found=name,
        expected="any name but '_sd' and '...'",
    )


# ---------------------------------------------------------------------------------------------- issuance


@dataclass(frozen=True, slots=True)
class DecoyPolicy:
    """How many decoy digests to add to each ``_sd`` array: a random count in ``[minimum, maximum]``."""

    minimum: int = 1
    maximum: int = 3

    def count(self, random_bytes: RandomBytes) -> int:
        span = self.maximum - self.minimum
        return self.minimum + (random_bytes(1)[0] % (span + 1) if span > 0 else 0)


NO_DECOYS: Final = DecoyPolicy(0, 0)
#: One to three decoys per `_sd` array.
DEFAULT_DECOYS: Final = DecoyPolicy(1, 3)


class _Trie:
    """The disclosable paths as a tree, so issuance walks each claim once instead of testing every path."""

    __slots__ = ("children", "pattern")

    def __init__(self) -> None:
        self.children: dict[str | int | None, _Trie] = {}
        self.pattern: ClaimPath | None = None

    @classmethod
    def of(cls, patterns: Iterable[ClaimPath]) -> _Trie:
        root = cls()
        for pattern in patterns:
            node = root
            for element in pattern:
                node = node.children.setdefault(element, cls())
            node.pattern = pattern
        return root

    def child(self, element: str | int) -> _Trie | None:
        exact = self.children.get(element)
        if isinstance(element, str):
            return exact
        wildcard = self.children.get(None)
        if exact is None or wildcard is None:
            return exact or wildcard
        merged = _Trie()  # an index and [*] both apply: merge them
        merged.children = {**wildcard.children, **exact.children}
        merged.pattern = exact.pattern or wildcard.pattern
        return merged


class _Builder:
    """Walks the claims once, replacing the chosen paths by digests (children before parents)."""

    #: Salts are drawn from the random source this many at a time (one call instead of one per salt).
    POOL = 32

    def __init__(self, random_bytes: RandomBytes, decoys: DecoyPolicy) -> None:
        self.random_bytes = random_bytes
        self.decoys = decoys
        self.disclosures: list[Disclosure] = []
        self.used: set[ClaimPath] = set()
        self._pool = b""

    def _fresh(self) -> bytes:
        if not self._pool:
            self._pool = self.random_bytes(SALT_BYTES * self.POOL)
        chunk, self._pool = self._pool[:SALT_BYTES], self._pool[SALT_BYTES:]
        return chunk

    def _salt(self) -> str:
        return b64url_encode(self._fresh())

    def _decoy(self) -> str:
        return b64url_encode(hashlib.sha256(self._fresh()).digest())

    def _disclose(self, name: str | None, value: Any, trie: _Trie) -> str:
        assert trie.pattern is not None
        self.used.add(trie.pattern)
        disclosure = Disclosure.create(salt=self._salt(), name=name, value=value)
        self.disclosures.append(disclosure)
        return disclosure.digest

    def build(self, node: Any, trie: _Trie, depth: int) -> Any:
        if not trie.children:
            return node
        if depth > MAX_JSON_DEPTH:
            raise FormatError("claims are nested too deeply", code="format.too_deep", found=depth)
        if isinstance(node, Mapping):
            return self.object(node, trie, depth)
        if isinstance(node, list):
            out: list[Any] = []
            for index, element in enumerate(node):
                child = trie.child(index)
                if child is None:
                    out.append(element)
                    continue
                value = self.build(element, child, depth + 1)
                out.append({"...": self._disclose(None, value, child)} if child.pattern is not None else value)
            return out
        return node

    def object(self, node: Mapping[str, Any], trie: _Trie, depth: int) -> dict[str, Any]:
        clear: dict[str, Any] = {}
        digests: list[str] = []
        for name, value in node.items():
            child = trie.children.get(name)
            if child is None:
                clear[name] = value
                continue
            built = self.build(value, child, depth + 1) if child.children else value
            if child.pattern is not None:
                digests.append(self._disclose(name, built, child))
            else:
                clear[name] = built
        if digests:
            decoys = self.decoys.count(lambda size: self._fresh()[:size])
            digests.extend(self._decoy() for _ in range(decoys))
            # RFC 9901 §4.2.4.1: hide the original order; sorting is the recommended way.
            clear["_sd"] = sorted(digests)
        return clear


def _refuse_reserved_names(claims: Mapping[str, Any]) -> None:
    """Refuse '_sd' and '...' members anywhere in the claims, not only along disclosable paths.

    A verifier reads them as digests (RFC 9901 §7.1 step 3), so a clear claim using them would vanish.
    """
    # Serialised compactly, a member named "_sd" or "..." always shows as '"_sd":' or '"...":' (a quote
    # inside a string is escaped, so values cannot produce it): when neither shows, no scan is needed.
    serialised = json_dumps(claims)
    if b'"_sd":' not in serialised and b'"...":' not in serialised:
        return
    stack: list[Any] = [claims]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if RESERVED_NAMES.intersection(node):
                raise ConfigurationError(
                    "claims must not already use the reserved names '_sd' or '...'",
                    code="sd_jwt.reserved_name",
                    found=sorted(RESERVED_NAMES.intersection(node)),
                )
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def make_disclosable(
    claims: Mapping[str, Any],
    *,
    disclosable: Iterable[ClaimPath],
    random_bytes: RandomBytes = os.urandom,
    decoys: DecoyPolicy = DEFAULT_DECOYS,
) -> tuple[dict[str, Any], list[Disclosure]]:
    """Replace the claims at ``disclosable`` paths by digests; return the SD-JWT payload and disclosures.

    A path inside another disclosable claim gives a recursive disclosure (RFC 9901 §4.2.6). Every path
    must name an existing claim; ``_sd_alg`` is set to ``sha-256``. Raises :class:`ConfigurationError`.
    """
    _refuse_reserved_names(claims)
    patterns = tuple(disclosable)
    builder = _Builder(random_bytes, decoys)
    payload = builder.object(claims, _Trie.of(patterns), 0)
    missing = [format_claim_path(pattern) for pattern in patterns if pattern not in builder.used]
    if missing:
        raise ConfigurationError(
            "selectively disclosable paths name no claim",
            code="sd_jwt.path_not_found",
            found=missing,
            expected="paths of claims present in the credential",
        )
    if builder.disclosures:
        payload["_sd_alg"] = HASH_ALGORITHM
    return payload, builder.disclosures


def serialize(issuer_jwt: str, disclosures: Iterable[Disclosure | str], key_binding_jwt: str = "") -> str:
    """``<JWT>~<D1>~…~<Dn>~<KB-JWT>`` (RFC 9901 §4); without a KB-JWT the string ends with ``~``."""
    parts = [issuer_jwt, *(d.encoded if isinstance(d, Disclosure) else d for d in disclosures)]
    return "~".join(parts) + "~" + key_binding_jwt


def issue(
    claims: Mapping[str, Any],
    *,
    key: Signer,
    header: Mapping[str, Any],
    disclosable: Iterable[ClaimPath] = (),
    holder: PublicKey | None = None,
    random_bytes: RandomBytes = os.urandom,
    decoys: DecoyPolicy = DEFAULT_DECOYS,
) -> str:
    """Issue an SD-JWT: disclosable claims become digests, ``cnf.jwk`` binds the holder's key if given."""
    payload, disclosures = make_disclosable(claims, disclosable=disclosable, random_bytes=random_bytes, decoys=decoys)
    if holder is not None:
        payload["cnf"] = {"jwk": _public_members(holder)}
    jwt = sign_compact(header=header, payload=json_dumps(payload), key=key)
    return serialize(jwt, disclosures)


def _public_members(holder: PublicKey) -> dict[str, Any]:
    return dict(PublicKey.from_key(holder.key).jwk)  # re-encoded: only the public members its key type defines


# ---------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class SdJwt:
    """A parsed SD-JWT or SD-JWT+KB in compact form (signature not yet verified)."""

    issuer_jwt: str
    disclosures: tuple[Disclosure, ...]
    key_binding_jwt: str | None
    #: The received text up to and including the last ``~``, when this was parsed from text.
    presented: str | None = None

    @property
    def without_key_binding(self) -> str:
        """The string the KB-JWT's ``sd_hash`` covers: ``<JWT>~<D1>~…~<Dn>~`` (RFC 9901 §4.3.1)."""
        return self.presented if self.presented is not None else serialize(self.issuer_jwt, self.disclosures)

    def serialize(self) -> str:
        return serialize(self.issuer_jwt, self.disclosures, self.key_binding_jwt or "")


def parse(text: str) -> SdJwt:
    """Separate an SD-JWT into its JWT, disclosures and optional KB-JWT (RFC 9901 §7.1 step 1, §7.3 step 1).

    Raises :class:`FormatError` (``sd_jwt.malformed``) or :class:`DisclosureError`.
    """
    if "~" not in text:
        raise FormatError(
            "SD-JWT has no '~' separator",
            code="sd_jwt.missing_tilde",
            found="a bare JWT",
            expected="<JWT>~<disclosures>~ (an SD-JWT ends with '~' when it has no key-binding JWT)",
        )
    parts = text.split("~")
    issuer_jwt, middle, last = parts[0], parts[1:-1], parts[-1]
    if not issuer_jwt:
        raise FormatError("SD-JWT has no issuer-signed JWT", code="sd_jwt.malformed", expected="<JWT>~…")
    if any(not part for part in middle):
        raise FormatError(
            "SD-JWT has an empty disclosure", code="sd_jwt.malformed", found="'~~'", expected="one '~' between parts"
        )
    if last and last.count(".") != 2:
        raise FormatError(
            "SD-JWT does not end with '~' or a key-binding JWT",
            code="sd_jwt.missing_tilde",
            found="a final part that is not a JWT",
            expected="a trailing '~' or a compact KB-JWT",
        )
    disclosures = tuple(map(Disclosure.parse, middle))
    return SdJwt(
        issuer_jwt=issuer_jwt,
        disclosures=disclosures,
        key_binding_jwt=last or None,
        presented=text[: len(text) - len(last)],
    )


# ---------------------------------------------------------------------------------------------- processing


class Revealed(NamedTuple):
    """Where a disclosure sits in the fully processed payload, and the disclosures it hangs from."""

    disclosure: Disclosure
    path: ClaimPath
    ancestors: tuple[str, ...]


class _Processor:
    """RFC 9901 §7.1 step 3: replace digests by disclosed values, refusing every irregularity."""

    def __init__(self, disclosures: Sequence[Disclosure]) -> None:
        self.by_digest: dict[str, Disclosure] = {}
        for disclosure in disclosures:
            if disclosure.digest in self.by_digest:
                raise DisclosureError(
                    "the same disclosure is presented twice",
                    code="sd_jwt.duplicate_disclosure",
                    found=disclosure.digest,
                    expected="each disclosure once",
                )
            self.by_digest[disclosure.digest] = disclosure
        self.seen: set[str] = set()
        self.revealed: list[Revealed] = []

    def _claim_digest(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise DisclosureError(
                "a digest must be a string", code="sd_jwt.digest_malformed", found=type(digest).__name__
            )
        # (3.4) A digest must not appear more than once, in the payload or in any disclosure.
        if digest in self.seen:
            raise DisclosureError(
                "a digest appears more than once",
                code="sd_jwt.duplicate_digest",
                found=digest,
                expected="every digest once",
            )
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def walk(self, node: Any, path: ClaimPath, ancestors: tuple[str, ...]) -> Any:
        if len(path) > MAX_JSON_DEPTH:
            raise FormatError("payload is nested too deeply", code="format.too_deep", expected=f"<= {MAX_JSON_DEPTH}")
        if isinstance(node, dict):
            return self._object(node, path, ancestors)
        if isinstance(node, list):
            return self._array(node, path, ancestors)
        return node

    def _object(self, node: dict[str, Any], path: ClaimPath, ancestors: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name == "_sd":
                continue
            # Scalars are most of a payload: take them as they are, without a call per value.
            out[name] = self.walk(value, (*path, name), ancestors) if isinstance(value, dict | list) else value
        digests = node.get("_sd", [])
        if not isinstance(digests, list):
            raise DisclosureError(
                "'_sd' must be an array of digests", code="sd_jwt.digest_malformed", found=type(digests).__name__
            )
        for digest in digests:
            disclosure = self._claim_digest(digest)
            if disclosure is None:
                continue  # (3.2.3) a decoy, or a claim the holder did not disclose
            # (3.3.1) an object-property digest must point at a [salt, name, value] disclosure
            if disclosure.name is None:
                raise DisclosureError(
                    "an array-element disclosure is referenced from an object's '_sd'",
                    code="sd_jwt.disclosure_arity",
                    found="[salt, value]",
                    expected="[salt, name, value]",
                )
            # (3.3.3) a disclosed claim must not overwrite a claim at the same level
            if disclosure.name in node or disclosure.name in out:
                raise DisclosureError(
                    "a disclosure would overwrite an existing claim",
                    code="sd_jwt.claim_conflict",
                    found=format_claim_path((*path, disclosure.name)),
                    expected="disclosed names distinct from the clear claims beside them",
                )
            child = (*path, disclosure.name)
            self.revealed.append(Revealed(disclosure, child, ancestors))
            out[disclosure.name] = self.walk(disclosure.value, child, (*ancestors, disclosure.digest))
        return out

    def _array(self, node: list[Any], path: ClaimPath, ancestors: tuple[str, ...]) -> list[Any]:
        out: list[Any] = []
        for element in node:
            if isinstance(element, dict) and len(element) == 1 and "..." in element:
                disclosure = self._claim_digest(element["..."])
                if disclosure is None:
                    continue  # (3.3.2) a decoy or undisclosed element is removed from the array
                if disclosure.name is not None:
                    raise DisclosureError(
                        "an object-property disclosure is referenced from an array element",
                        code="sd_jwt.disclosure_arity",
                        found="[salt, name, value]",
                        expected="[salt, value]",
                    )
                child = (*path, len(out))
                self.revealed.append(Revealed(disclosure, child, ancestors))
                out.append(self.walk(disclosure.value, child, (*ancestors, disclosure.digest)))
            elif isinstance(element, dict | list):
                out.append(self.walk(element, (*path, len(out)), ancestors))
            else:
                out.append(element)
        return out


@dataclass(frozen=True, slots=True)
class Processed:
    """The Processed SD-JWT Payload and where each disclosure landed."""

    payload: dict[str, Any]
    revealed: tuple[Revealed, ...]

    @property
    def disclosed_paths(self) -> tuple[ClaimPath, ...]:
        return tuple(item.path for item in self.revealed)


def process(payload: Mapping[str, Any], disclosures: Sequence[Disclosure]) -> Processed:
    """RFC 9901 §7.1 steps 3–4 over a payload whose signature the caller has already verified.

    Raises :class:`DisclosureError` for duplicate, unreferenced, conflicting, reserved or wrong-arity
    disclosures and :class:`FormatError` for an unsupported ``_sd_alg``.
    """
    # (3.1) the hash algorithm
    algorithm = payload.get("_sd_alg", HASH_ALGORITHM)
    if algorithm != HASH_ALGORITHM:
        raise FormatError(
            "unsupported '_sd_alg'", code="sd_jwt.hash_unsupported", found=algorithm, expected=HASH_ALGORITHM
        )
    processor = _Processor(disclosures)
    result = processor._object(dict(payload), (), ())
    # (3.5) every disclosure must have been referenced by a digest
    unreferenced = [d for d in disclosures if d.digest not in processor.seen]
    if unreferenced:
        raise DisclosureError(
            "a disclosure is not referenced by any digest",
            code="sd_jwt.unreferenced_disclosure",
            found=[d.name if d.name is not None else "(array element)" for d in unreferenced],
            expected="only disclosures of this credential",
        )
    # (4) remove the algorithm claim
    result.pop("_sd_alg", None)
    return Processed(payload=result, revealed=tuple(processor.revealed))


# ---------------------------------------------------------------------------------------------- holder


def select(sd_jwt: SdJwt, payload: Mapping[str, Any], paths: Iterable[ClaimPath]) -> tuple[Disclosure, ...]:
    """The disclosures a holder sends to reveal ``paths`` (each with everything beneath it).

    The disclosures a claim is nested in are included; paths use indexes of the fully disclosed
    arrays. A path that names no claim raises :class:`DisclosureError` (``sd_jwt.claim_not_found``).
    """
    processed = process(payload, sd_jwt.disclosures)
    wanted: set[str] = set()
    for pattern in paths:
        if not lookup(processed.payload, pattern):
            raise DisclosureError(
                "the credential has no claim at this path",
                code="sd_jwt.claim_not_found",
                found=format_claim_path(pattern),
            )
        for item in processed.revealed:
            if is_prefix(pattern, item.path) or _leads_to(item, pattern, processed.payload):
                wanted.add(item.disclosure.digest)
                wanted.update(item.ancestors)
    return tuple(d for d in sd_jwt.disclosures if d.digest in wanted)


def _leads_to(item: Revealed, pattern: ClaimPath, payload: Mapping[str, Any]) -> bool:
    """True when a claim ``pattern`` names sits inside the disclosed value ``item`` (e.g. a clear member)."""
    depth = len(item.path)
    if depth >= len(pattern) or not path_matches(pattern[:depth], item.path):
        return False
    return any(lookup(value, pattern[depth:]) for value in lookup(payload, item.path))


def key_binding_jwt(*, presentation: str, key: SigningKey, audience: str, nonce: str, issued_at: datetime) -> str:
    """Create the KB-JWT over ``presentation`` (which ends with ``~``) per RFC 9901 §4.3."""
    payload = {"iat": int(issued_at.timestamp()), "aud": audience, "nonce": nonce, "sd_hash": digest_of(presentation)}
    return sign_compact(header={"typ": KB_JWT_TYPE}, payload=json_dumps(payload), key=key)


def present(
    sd_jwt: SdJwt,
    payload: Mapping[str, Any],
    *,
    disclose: Iterable[ClaimPath],
    key: SigningKey | None = None,
    audience: str | None = None,
    nonce: str | None = None,
    issued_at: datetime | None = None,
) -> str:
    """Build what the holder sends: the chosen disclosures, and a KB-JWT when ``key`` is given."""
    chosen = select(sd_jwt, payload, disclose)
    presentation = serialize(sd_jwt.issuer_jwt, chosen)
    if key is None:
        return presentation
    if audience is None or nonce is None or issued_at is None:
        raise ConfigurationError(
            "key binding needs an audience, a nonce and a time",
            code="holder_binding.parameters_missing",
            expected="audience, nonce and issued_at",
        )
    return presentation + key_binding_jwt(
        presentation=presentation, key=key, audience=audience, nonce=nonce, issued_at=issued_at
    )


# ---------------------------------------------------------------------------------------------- key binding


@dataclass(frozen=True, slots=True)
class KeyBindingExpectations:
    """What the verifier expects of a KB-JWT (RFC 9901 §7.3 step 5)."""

    audience: str | None
    nonce: str | None
    max_age: timedelta
    clock_skew: timedelta
    algorithms: frozenset[str]


def verify_key_binding(
    sd_jwt: SdJwt, *, holder_key: PublicKey, expect: KeyBindingExpectations, now: datetime
) -> dict[str, Any]:
    """Verify the KB-JWT of an SD-JWT+KB (RFC 9901 §7.3 step 5). Returns its payload.

    Raises :class:`HolderBindingError` with a specific code for every failure.
    """
    if sd_jwt.key_binding_jwt is None:
        raise HolderBindingError(
            "the presentation has no key-binding JWT", code="holder_binding.missing", expected="<SD-JWT>~<KB-JWT>"
        )
    token = parse_compact(sd_jwt.key_binding_jwt, what="KB-JWT")
    # (5.1) typ must be kb+jwt
    if token.typ != KB_JWT_TYPE:
        raise HolderBindingError(
            "KB-JWT has the wrong 'typ'", code="holder_binding.typ", found=token.typ, expected=KB_JWT_TYPE
        )
    # (5.2) signature by the key in the issuer-signed cnf claim
    try:
        algorithm = check_header(token.header, allowed=expect.algorithms, what="KB-JWT")
        holder_key.verify(algorithm=algorithm, message=token.signing_input, signature=token.signature)
    except TawtiqError as exc:
        raise HolderBindingError(
            f"KB-JWT is not signed by the holder's key: {exc.summary}",
            code="holder_binding." + exc.code.replace(".", "_"),
            found=exc.found,
            expected=exc.expected,
        ) from exc
    claims = json_loads(token.payload, what="KB-JWT payload")
    if not isinstance(claims, dict):
        raise HolderBindingError("KB-JWT payload is not an object", code="holder_binding.malformed")
    # (5.3) iat within the acceptable window; a NumericDate may have a fraction (RFC 7519 §2)
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise HolderBindingError(
            "KB-JWT has no numeric 'iat'", code="holder_binding.iat_missing", found=issued, expected="NumericDate"
        )
    moment = int(now.timestamp())
    if issued > moment + expect.clock_skew.total_seconds():
        raise HolderBindingError(
            "KB-JWT is issued in the future",
            code="holder_binding.iat_future",
            found=f"iat {issued}",
            expected=f"<= {moment} (+{int(expect.clock_skew.total_seconds())} s skew)",
        )
    if moment - issued > (expect.max_age + expect.clock_skew).total_seconds():
        raise HolderBindingError(
            "KB-JWT is too old",
            code="holder_binding.iat_too_old",
            found=f"issued {moment - issued} s ago",
            expected=f"at most {int(expect.max_age.total_seconds())} s",
        )
    # (5.4) nonce and audience are the ones this verifier expects
    if expect.audience is not None and claims.get("aud") != expect.audience:
        raise HolderBindingError(
            "KB-JWT is addressed to another audience",
            code="holder_binding.aud",
            found=claims.get("aud"),
            expected=expect.audience,
        )
    if expect.nonce is not None and claims.get("nonce") != expect.nonce:
        raise HolderBindingError(
            "KB-JWT nonce does not match", code="holder_binding.nonce", found=claims.get("nonce"), expected=expect.nonce
        )
    for name in ("aud", "nonce", "sd_hash"):
        if not isinstance(claims.get(name), str):
            raise HolderBindingError(
                f"KB-JWT lacks '{name}'", code="holder_binding.malformed", found=claims.get(name), expected="a string"
            )
    # (5.5) sd_hash over the presented SD-JWT
    if claims["sd_hash"] != digest_of(sd_jwt.without_key_binding):
        raise HolderBindingError(
            "KB-JWT 'sd_hash' does not match the presented SD-JWT",
            code="holder_binding.sd_hash",
            found=claims["sd_hash"],
            expected=digest_of(sd_jwt.without_key_binding),
        )
    return claims
