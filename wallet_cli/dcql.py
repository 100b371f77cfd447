"""The Digital Credentials Query Language (OpenID4VP 1.0 §6) as far as a diploma wallet answers it.

:func:`parse_dcql` reads a ``dcql_query`` strictly into frozen types; :func:`select` decides what to send, given the
claims the holder's diploma has:

* every credential query that asks for the diploma (``format`` ``dc+sd-jwt``, ``meta.vct_values`` naming the
  baccalaureate) can be answered with it; a query for anything else cannot;
* ``claims`` without ``claim_sets``: every claim is needed. With ``claim_sets`` (§6.4.1): the first set, in the
  verifier's order of preference, whose claims the diploma has;
* without ``credential_sets`` every credential query is needed (§6.4.2); with them, each set is answered by its first
  option whose every query can be answered, a ``required`` set (the default) that has none makes the request
  unanswerable, an optional one (``"required": false``) is left out — the wallet discloses no more than it must —
  and queries no set names are not answered.

Refusals are :class:`~wallet_cli.errors.RefusedError`: ``request.invalid`` (malformed), ``request.unsupported``
(claim ``values``, ``trusted_authorities``), ``request.not_a_diploma``, ``request.claims_unknown``,
``request.claims_missing``, ``request.unsatisfiable``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

import schemas
from wallet_cli.errors import RefusedError
from wallet_cli.model import DC_SD_JWT

#: Claims every SD-JWT VC shows in clear; a request may name them without anything being disclosed.
ALWAYS_VISIBLE: Final = frozenset({"iss", "vct", "iat", "nbf", "exp", "cnf", "status"})
_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_QUERIES: Final = 16
_MAX_CLAIMS: Final = 64


def _fail(message: str, found: Any = None, expected: Any = None) -> RefusedError:
    return RefusedError(
        f"the presentation request is not acceptable: {message}",
        code="request.invalid",
        found=found,
        expected=expected,
        hint="Nothing was disclosed. Ask the verifier to show a new request.",
    )


@dataclass(frozen=True, slots=True)
class ClaimQuery:
    """One requested claim: its ``id`` (needed by ``claim_sets``) and its path."""

    id: str | None
    path: tuple[str | int | None, ...]

    @property
    def name(self) -> str:
        """The top-level claim the path starts with (a diploma's claims are disclosed whole)."""
        return str(self.path[0])

    @property
    def dotted(self) -> str:
        return ".".join("*" if part is None else str(part) for part in self.path)


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """One credential query; ``refusal`` says why the diploma cannot answer it (None: it can)."""

    id: str
    claims: tuple[ClaimQuery, ...]
    claim_sets: tuple[tuple[str, ...], ...] | None
    refusal: RefusedError | None


@dataclass(frozen=True, slots=True)
class CredentialSet:
    options: tuple[tuple[str, ...], ...]
    required: bool


@dataclass(frozen=True, slots=True)
class DcqlQuery:
    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSet, ...] | None

    def query(self, query_id: str) -> CredentialQuery:
        return next(query for query in self.credentials if query.id == query_id)


@dataclass(frozen=True, slots=True)
class ChosenQuery:
    """A credential query the wallet answers with the diploma, and the diploma claims it needs."""

    id: str
    claims: tuple[str, ...]
    #: Requested paths deeper than a top-level claim (the whole claim is disclosed for them).
    nested_paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """What to send: the chosen queries, and the optional ones left out."""

    queries: tuple[ChosenQuery, ...]
    left_out: tuple[str, ...] = ()

    @property
    def claims(self) -> tuple[str, ...]:
        """Every diploma claim some chosen query needs, in the verifier's order."""
        return tuple(dict.fromkeys(name for query in self.queries for name in query.claims))

    @property
    def nested_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(path for query in self.queries for path in query.nested_paths))


def _identifier(value: Any, *, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _fail(f"its {what} is not an identifier", value, "1 to 64 letters, digits, '_' or '-'")
    return value


def _path(value: Any) -> tuple[str | int | None, ...]:
    if not isinstance(value, list) or not value or not isinstance(value[0], str):
        raise _fail("a requested claim has no usable path", value, "a non-empty array starting with a name")
    for part in value[1:]:
        if part is not None and not isinstance(part, str) and (not isinstance(part, int) or isinstance(part, bool)):
            raise _fail("a requested claim's path holds something else than names, indices and null", value)
    return tuple(value)


def _refusal_for_format(query: Mapping[str, Any]) -> RefusedError | None:
    if query.get("format") != DC_SD_JWT:
        return RefusedError(
            "the request asks for a credential format this wallet cannot answer with",
            code="request.unsupported",
            found=query.get("format"),
            expected=DC_SD_JWT,
        )
    meta = query.get("meta")
    vct_values = meta.get("vct_values") if isinstance(meta, Mapping) else None
    if not isinstance(vct_values, list) or schemas.DIPLOMA_VCT not in vct_values:
        return RefusedError(
            "the request does not ask for the baccalaureate diploma",
            code="request.not_a_diploma",
            found=vct_values,
            expected=schemas.DIPLOMA_VCT,
        )
    if "trusted_authorities" in query:
        return RefusedError(
            "the request limits the issuers it accepts with trusted_authorities, which this wallet cannot evaluate",
            code="request.unsupported",
            found="trusted_authorities",
        )
    return None


def _credential_query(value: Any) -> CredentialQuery:
    if not isinstance(value, Mapping):
        raise _fail("a credential query is not an object", type(value).__name__)
    query_id = _identifier(value.get("id"), what="credential query id")
    raw_claims = value.get("claims", [])
    if raw_claims is None or not isinstance(raw_claims, list) or len(raw_claims) > _MAX_CLAIMS:
        raise _fail("a credential query's claims are not an array", type(raw_claims).__name__)
    claims: list[ClaimQuery] = []
    for item in raw_claims:
        if not isinstance(item, Mapping):
            raise _fail("a requested claim has no usable path", item)
        if "values" in item:
            raise RefusedError(
                "the request asks for claims with given values, which this wallet does not support",
                code="request.unsupported",
                found=item.get("path"),
            )
        claim_id = _identifier(item["id"], what="claim id") if "id" in item else None
        claims.append(ClaimQuery(claim_id, _path(item.get("path"))))
    ids = [claim.id for claim in claims if claim.id is not None]
    if len(ids) != len(set(ids)):
        raise _fail("a credential query repeats a claim id", sorted(ids))
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    if "claim_sets" in value:
        raw_sets = value["claim_sets"]
        if not isinstance(raw_sets, list) or not raw_sets or not claims:
            raise _fail("claim_sets is not a non-empty array (with claims)", raw_sets)
        sets: list[tuple[str, ...]] = []
        for option in raw_sets:
            if not isinstance(option, list) or not option or any(name not in ids for name in option):
                raise _fail("a claim set names claims the query does not have", option, f"some of {ids}")
            sets.append(tuple(option))
        claim_sets = tuple(sets)
    return CredentialQuery(query_id, tuple(claims), claim_sets, _refusal_for_format(value))


def parse_dcql(value: Any) -> DcqlQuery:
    """Read a ``dcql_query``. Raises :class:`RefusedError` ``request.invalid``/``request.unsupported``."""
    if not isinstance(value, Mapping) or not isinstance(value.get("credentials"), list) or not value["credentials"]:
        raise _fail("it has no DCQL query (dcql_query.credentials)")
    if len(value["credentials"]) > _MAX_QUERIES:
        raise _fail("it has too many credential queries", len(value["credentials"]), f"at most {_MAX_QUERIES}")
    credentials = tuple(_credential_query(item) for item in value["credentials"])
    ids = [query.id for query in credentials]
    if len(ids) != len(set(ids)):
        raise _fail("it repeats a credential query id", ids)
    credential_sets: tuple[CredentialSet, ...] | None = None
    if "credential_sets" in value:
        raw_sets = value["credential_sets"]
        if not isinstance(raw_sets, list) or not raw_sets:
            raise _fail("credential_sets is not a non-empty array", raw_sets)
        sets: list[CredentialSet] = []
        for item in raw_sets:
            options = item.get("options") if isinstance(item, Mapping) else None
            required = item.get("required", True) if isinstance(item, Mapping) else None
            if not isinstance(options, list) or not options or not isinstance(required, bool):
                raise _fail("a credential set has no options (or a 'required' that is not a boolean)", item)
            for option in options:
                if not isinstance(option, list) or not option or any(name not in ids for name in option):
                    raise _fail("a credential set names queries the request does not have", option, f"some of {ids}")
            sets.append(CredentialSet(tuple(tuple(option) for option in options), required))
        credential_sets = tuple(sets)
    return DcqlQuery(credentials, credential_sets)


def _answer(query: CredentialQuery, available: Collection[str]) -> ChosenQuery | RefusedError:
    """The diploma's answer to ``query`` given the claims it has, or why it cannot answer."""
    if query.refusal is not None:
        return query.refusal
    options = (
        [[claim for claim in query.claims if claim.id in claim_set] for claim_set in query.claim_sets]
        if query.claim_sets is not None
        else [list(query.claims)]
    )
    first_problem: RefusedError | None = None
    for option in options:
        unknown = [c.dotted for c in option if c.name not in schemas.SUBJECT_CLAIMS and c.name not in ALWAYS_VISIBLE]
        missing = [c.dotted for c in option if c.name in schemas.SUBJECT_CLAIMS and c.name not in available]
        if not unknown and not missing:
            names = [c.name for c in option if c.name not in ALWAYS_VISIBLE]
            nested = [c.dotted for c in option if c.name not in ALWAYS_VISIBLE and len(c.path) > 1]
            return ChosenQuery(query.id, tuple(dict.fromkeys(names)), tuple(dict.fromkeys(nested)))
        if first_problem is None:
            first_problem = (
                RefusedError(
                    "the request asks for claims a diploma does not have",
                    code="request.claims_unknown",
                    found=unknown,
                    expected=list(schemas.SUBJECT_CLAIMS),
                )
                if unknown
                else RefusedError(
                    "the request asks for claims your diploma does not have",
                    code="request.claims_missing",
                    found=missing,
                )
            )
    assert first_problem is not None
    return first_problem


def select(query: DcqlQuery, *, available: Collection[str]) -> Selection:
    """What to send for ``query`` from a diploma that has the claims ``available`` (see the module docstring).

    Raises the reason the first needed query cannot be answered (:class:`RefusedError`), or
    ``request.unsatisfiable`` when a required credential set has no option the diploma answers.
    """
    answers = {item.id: _answer(item, available) for item in query.credentials}
    if query.credential_sets is None:
        for answer in answers.values():
            if isinstance(answer, RefusedError):
                raise answer
        return Selection(tuple(answer for answer in answers.values() if isinstance(answer, ChosenQuery)))
    chosen: dict[str, ChosenQuery] = {}
    left_out: list[str] = []
    for credential_set in query.credential_sets:
        option = next(
            (option for option in credential_set.options if all(isinstance(answers[i], ChosenQuery) for i in option)),
            None,
        )
        if option is None and credential_set.required:
            reasons = sorted(
                {
                    f"{i}: {answers[i]}"
                    for o in credential_set.options
                    for i in o
                    if isinstance(answers[i], RefusedError)
                }
            )
            raise RefusedError(
                "no option of a required credential set can be answered with a diploma",
                code="request.unsatisfiable",
                found=reasons,
                expected=[list(o) for o in credential_set.options],
            )
        if option is None or not credential_set.required:
            left_out.extend(i for o in credential_set.options for i in o if i not in left_out)
            continue
        for query_id in option:
            answer = answers[query_id]
            assert isinstance(answer, ChosenQuery)
            chosen[query_id] = answer
    return Selection(tuple(chosen.values()), tuple(i for i in left_out if i not in chosen))
