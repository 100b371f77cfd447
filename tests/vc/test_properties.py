"""Properties of issue → present → verify over arbitrary claims, and of processing arbitrary mutations.

For any claim set, any choice of disclosable claims and any subset the holder discloses, the verifier
gets exactly the disclosed claims (with what they are nested in and what they contain) and nothing
else. For any mutation of a valid presentation, processing fails only with the engine's own errors and
the verification pipeline never calls the result valid.
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vc import (
    HolderBinding,
    Policy,
    Profile,
    SigningKey,
    StaticKeyResolver,
    TrustList,
    UnavailableStatusResolver,
    Verdict,
    issue,
    present,
    sdjwt,
    verify,
)
from vc.claims import ClaimPath, is_prefix
from vc.encoding import json_object
from vc.errors import TawtiqError
from vc.jose import DEFAULT_ALGORITHMS, parse_compact
from vc.vcdm import ContextRegistry

ISSUER = "https://bac.example.ma"
VCT = "urn:ma:men:credential:baccalaureate:1"
VERIFIER = "https://admissions.um5.example.ma"
NONCE = "property-nonce"
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
ISSUER_KEY = SigningKey.generate()
HOLDER_KEY = SigningKey.generate()
KEYS = StaticKeyResolver({ISSUER: [ISSUER_KEY.public]})
POLICY = Policy(
    trust=TrustList(version="1", issuers={ISSUER: frozenset({VCT})}),
    contexts=ContextRegistry({}),
    holder_binding=HolderBinding(required=True, audience=VERIFIER, nonce=NONCE),
)
#: Claims the SD-JWT VC profile registers or the pipeline interprets; the issuer sets them, not the claims.
REGISTERED = frozenset(
    {"iss", "vct", "iat", "cnf", "status", "nbf", "exp", "vc", "vp", "vct#integrity", "sub", "aud", "jti"}
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6).filter(
    lambda name: not name.startswith("_") and name != "..." and name not in REGISTERED
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(NAMES, children, max_size=3),
    ),
    max_leaves=8,
)
CLAIMS = st.dictionaries(NAMES, VALUES, min_size=1, max_size=5)


def claim_paths_of(node: Any, prefix: ClaimPath = ()) -> Iterator[ClaimPath]:
    """Every object member and array element in ``node``, parents before children."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield (*prefix, name)
            yield from claim_paths_of(value, (*prefix, name))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from claim_paths_of(value, (*prefix, index))


def revealed_by(selected: list[ClaimPath], disclosable: list[ClaimPath]) -> set[ClaimPath]:
    """What a holder's selection reveals: each selected claim, everything beneath it and what it sits in."""
    return {path for path in disclosable if any(is_prefix(path, s) or is_prefix(s, path) for s in selected)}


def expected_view(node: Any, hidden: set[ClaimPath], prefix: ClaimPath = ()) -> Any:
    """``node`` without the hidden claims: members removed, array elements dropped (later ones move up)."""
    if isinstance(node, dict):
        return {
            name: expected_view(value, hidden, (*prefix, name))
            for name, value in node.items()
            if (*prefix, name) not in hidden
        }
    if isinstance(node, list):
        return [
            expected_view(value, hidden, (*prefix, index))
            for index, value in enumerate(node)
            if (*prefix, index) not in hidden
        ]
    return node


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], list[ClaimPath], list[ClaimPath], int]:
    claims = draw(CLAIMS)
    paths = list(claim_paths_of(claims))
    disclosable = draw(st.lists(st.sampled_from(paths), unique=True)) if paths else []
    selected = draw(st.lists(st.sampled_from(disclosable), unique=True)) if disclosable else []
    return claims, disclosable, selected, draw(st.integers(0, 2**32))


def issue_and_present(
    claims: dict[str, Any], disclosable: list[ClaimPath], selected: list[ClaimPath], seed: int
) -> str:
    credential = issue(
        {"iss": ISSUER, "vct": VCT, **claims},
        key=ISSUER_KEY,
        issued_at=NOW - timedelta(days=1),
        profile=Profile.DC_SD_JWT,
        disclosable=disclosable,
        holder=HOLDER_KEY.public,
        random_bytes=random.Random(seed).randbytes,
    )
    return present(credential, disclose=selected, key=HOLDER_KEY, audience=VERIFIER, nonce=NONCE, now=NOW)


@SETTINGS
@given(scenarios())
def test_the_verifier_gets_exactly_the_disclosed_claims(
    scenario: tuple[dict[str, Any], list[ClaimPath], list[ClaimPath], int],
) -> None:
    claims, disclosable, selected, seed = scenario
    presentation = issue_and_present(claims, disclosable, selected, seed)
    revealed = revealed_by(selected, disclosable)
    expected = expected_view(claims, set(disclosable) - revealed)

    report = verify(presentation, keys=KEYS, status=UnavailableStatusResolver(), policy=POLICY, now=NOW)
    assert report.verdict is Verdict.VALID, report.problems
    assert report.claims is not None
    assert {k: v for k, v in report.claims.items() if k not in ("iss", "vct", "iat", "cnf")} == expected
    assert len(report.disclosed) == len(revealed)

    parsed = sdjwt.parse(presentation)
    payload = json_object(parse_compact(parsed.issuer_jwt).payload, what="payload")
    processed = sdjwt.process(payload, parsed.disclosures)
    assert processed.payload == report.claims
    assert len(parsed.disclosures) == len(revealed)


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _mutations(presentation: str) -> st.SearchStrategy[str]:
    issuer_jwt, *disclosures, kb_jwt = presentation.split("~")

    def rebuild(parts: list[str]) -> str:
        return "~".join([issuer_jwt, *parts, kb_jwt])

    indexes = st.integers(0, max(len(disclosures) - 1, 0))
    positions = st.integers(0, len(presentation) - 1)
    characters = st.characters(blacklist_categories=("Cs",))
    dropped = indexes.map(lambda i: rebuild(disclosures[:i] + disclosures[i + 1 :]))
    duplicated = indexes.map(lambda i: rebuild(disclosures[: i + 1] + disclosures[i:]))
    reordered = st.permutations(disclosures).map(rebuild)
    altered = st.tuples(indexes, st.integers(0, 200), characters).map(
        lambda t: rebuild(
            [
                d if i != t[0] else d[: t[1] % (len(d) + 1)] + t[2] + d[t[1] % (len(d) + 1) + 1 :]
                for i, d in enumerate(disclosures)
            ]
        )
    )
    flipped = st.tuples(positions, characters).map(lambda t: presentation[: t[0]] + t[1] + presentation[t[0] + 1 :])
    truncated = positions.map(lambda i: presentation[:i])
    inserted = st.tuples(positions, st.sampled_from(["~", ".", "~~", "=", " "])).map(
        lambda t: presentation[: t[0]] + t[1] + presentation[t[0] :]
    )
    # Another spelling of the same bytes: the unused low bits of a segment's last character set.
    ends = [m.end() - 1 for m in re.finditer(r"[A-Za-z0-9_-]+", presentation) if len(m.group()) % 4 in (2, 3)]
    respelled = st.tuples(st.sampled_from(ends), st.integers(1, 15)).map(
        lambda t: presentation[: t[0]] + _B64URL[_B64URL.index(presentation[t[0]]) ^ t[1]] + presentation[t[0] + 1 :]
    )
    strategies = [flipped, truncated, inserted, respelled]
    if disclosures:
        strategies += [dropped, duplicated, reordered, altered]
    return st.one_of(strategies)


#: One presentation with flat, nested, recursive and array disclosures, mutated below.
MUTATED_BASE = issue_and_present(
    {"name": "Salma", "address": {"city": "Casablanca", "street": "Al Massira"}, "langs": ["ar", "fr", "en"]},
    [("name",), ("address",), ("address", "city"), ("langs", 0), ("langs", 2)],
    [("name",), ("address", "city"), ("langs", 0), ("langs", 2)],
    7,
)


KB_EXPECTATIONS = sdjwt.KeyBindingExpectations(
    audience=VERIFIER,
    nonce=NONCE,
    max_age=timedelta(minutes=5),
    clock_skew=timedelta(seconds=60),
    algorithms=DEFAULT_ALGORITHMS,
)


def _process(text: str) -> None:
    """Every engine step a verifier takes with an SD-JWT+KB string; each later step runs even if an
    earlier independent one refused, so that processing sees mutated disclosures under a good signature."""
    parsed = sdjwt.parse(text)
    jws = parse_compact(parsed.issuer_jwt)
    with contextlib.suppress(TawtiqError):
        ISSUER_KEY.public.verify(algorithm=jws.algorithm, message=jws.signing_input, signature=jws.signature)
    payload = json_object(jws.payload, what="payload")
    with contextlib.suppress(TawtiqError):
        sdjwt.process(payload, parsed.disclosures)
    sdjwt.verify_key_binding(parsed, holder_key=HOLDER_KEY.public, expect=KB_EXPECTATIONS, now=NOW)


def test_the_unmutated_presentation_is_valid() -> None:
    _process(MUTATED_BASE)
    report = verify(MUTATED_BASE, keys=KEYS, status=UnavailableStatusResolver(), policy=POLICY, now=NOW)
    assert report.verdict is Verdict.VALID


@settings(max_examples=300, deadline=None)
@given(_mutations(MUTATED_BASE))
def test_mutations_fail_only_with_engine_errors_and_never_verify(mutated: str) -> None:
    if mutated == MUTATED_BASE:
        return
    with contextlib.suppress(TawtiqError):
        _process(mutated)
    report = verify(mutated, keys=KEYS, status=UnavailableStatusResolver(), policy=POLICY, now=NOW)
    if mutated.strip() != MUTATED_BASE:
        assert report.verdict is Verdict.INVALID, (mutated, report.to_dict()["checks"])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_arbitrary_text_fails_only_with_engine_errors(text: str, as_sd_jwt: bool) -> None:
    candidate = MUTATED_BASE.split("~")[0] + "~" + text if as_sd_jwt else text
    with contextlib.suppress(TawtiqError):
        _process(candidate)
    report = verify(candidate, keys=KEYS, status=UnavailableStatusResolver(), policy=POLICY, now=NOW)
    assert report.verdict is Verdict.INVALID
