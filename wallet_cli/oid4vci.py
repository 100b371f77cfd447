"""Receiving a diploma: OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.

The holder scans (or pastes) ``openid-credential-offer://?credential_offer_uri=…`` and types the PIN
(``tx_code``) that came separately. The wallet fetches the offer and the issuer's metadata, redeems the code
at the token endpoint, fetches a ``c_nonce``, proves possession of a fresh key per copy
(``openid4vci-proof+jwt``) and receives the signed copies — then verifies every one of them before anything is
stored (:mod:`wallet_cli.checking`). :func:`receive` returns the :class:`~wallet_cli.model.Diploma` to store;
the caller commits it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from keys import KeyHistoryResolver
from vc import SigningKey, TawtiqError, VerificationReport
from vc.encoding import json_dumps
from vc.errors import FormatError
from vc.jose import sign_compact
from wallet_cli.checking import HttpStatusResolver, acceptance_problems, check_copy, fetch_key_history, read_copy
from wallet_cli.documents import answer_object, read_object
from wallet_cli.errors import NetworkError, RefusedError, UsageError
from wallet_cli.model import PROFILES, Copy, Diploma, Labels, export_private_key
from wallet_cli.net import Answer, Http, check_url, origin_of, unexpected

OFFER_SCHEME: Final = "openid-credential-offer"
PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
AUTHORIZATION_CODE_GRANT: Final = "authorization_code"
PROOF_TYPE: Final = "openid4vci-proof+jwt"
#: The most copies of one profile a holder asks for at once.
MAX_COPIES: Final = 10
_MAX_OFFER_CHARS: Final = 8192
#: Arabic-Indic and Eastern Arabic-Indic digits, as an Arabic keyboard types them, to ASCII digits.
_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass(frozen=True)
class TxCode:
    """What the offer says about its PIN: digits or text, how long, and the issuer's explanation."""

    input_mode: str = "numeric"
    length: int | None = None
    description: str | None = None

    def check(self, code: str) -> str:
        """Return the code if it has the announced shape; raise :class:`UsageError` before spending an attempt.

        Digits typed on an Arabic keyboard (٠١٢…) are read as the ASCII digits the issuer expects.
        """
        code = code.strip().translate(_DIGITS) if self.input_mode == "numeric" else code.strip()
        if not code:
            raise UsageError("the transaction code is empty", code="tx_code.empty", expected=self.shape())
        if self.input_mode == "numeric" and not (code.isascii() and code.isdigit()):
            raise UsageError("the transaction code must be digits only", code="tx_code.format", expected=self.shape())
        if self.length is not None and len(code) != self.length:
            raise UsageError(
                f"the transaction code must have {self.length} characters",
                code="tx_code.length",
                found=f"{len(code)} characters",
                expected=self.shape(),
                hint="Nothing was sent to the issuer, so no attempt was used.",
            )
        return code

    def shape(self) -> str:
        kind = "digits" if self.input_mode == "numeric" else "characters"
        return f"{self.length} {kind}" if self.length else kind


@dataclass(frozen=True)
class Offer:
    """A credential offer (OpenID4VCI §4.1.1): the pre-authorized code grant, the authorization code grant
    (``issuer_state``: the wallet then logs the graduate in, :mod:`wallet_cli.authorization`), or both."""

    issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str | None = field(repr=False)
    tx_code: TxCode | None
    #: ``None`` without an authorization code grant; the grant's ``issuer_state`` (or ``""``) with one.
    issuer_state: str | None = None


@dataclass(frozen=True)
class Configuration:
    """One credential configuration of the issuer's metadata, as far as the wallet needs it."""

    id: str
    format: str
    name: Labels
    claim_labels: Mapping[str, Labels]
    proof_algorithms: tuple[str, ...]


@dataclass(frozen=True)
class IssuerMetadata:
    """The credential issuer metadata (§12.2) and the token endpoint of its authorization server."""

    issuer: str
    credential_endpoint: str
    nonce_endpoint: str
    token_endpoint: str
    batch_size: int
    name: Labels
    configurations: Mapping[str, Configuration]
    #: The authorization server's authorization endpoint, when it offers the authorization code grant.
    authorization_endpoint: str | None = None


@dataclass(frozen=True)
class ReceivedCopy:
    copy: Copy
    report: VerificationReport


@dataclass(frozen=True)
class Received:
    """What :func:`receive` obtained and verified; ``warnings`` are worth telling the holder."""

    diploma: Diploma
    reports: tuple[ReceivedCopy, ...]
    warnings: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- the offer


def parse_offer_link(text: str) -> tuple[str | None, dict[str, Any] | None]:
    """``(credential_offer_uri, None)`` or ``(None, credential_offer)`` from an offer link.

    Raises :class:`UsageError` ``offer.invalid`` for anything but an ``openid-credential-offer://`` link with
    exactly one of the two parameters.
    """
    text = text.strip()
    if len(text) > _MAX_OFFER_CHARS:
        raise UsageError("the offer link is too long", code="offer.invalid", expected=f"<= {_MAX_OFFER_CHARS} chars")
    parts = urlsplit(text)
    if parts.scheme.lower() != OFFER_SCHEME:
        raise UsageError(
            "this is not a credential offer link",
            code="offer.invalid",
            found=text[:80],
            expected=f"{OFFER_SCHEME}://?credential_offer_uri=… (or the path of a picture of its QR code)",
        )
    try:
        values = parse_qs(parts.query, strict_parsing=True, max_num_fields=4)
    except ValueError:
        raise UsageError("the offer link's parameters cannot be read", code="offer.invalid", found=text[:80]) from None
    names = set(values) & {"credential_offer_uri", "credential_offer"}
    if len(names) != 1 or any(len(values[name]) != 1 for name in names):
        raise UsageError(
            "the offer link must carry exactly one credential_offer_uri or credential_offer",
            code="offer.invalid",
            found=sorted(values),
        )
    if "credential_offer_uri" in values:
        return values["credential_offer_uri"][0], None
    try:
        document = read_object(values["credential_offer"][0], what="the offer in the link")
    except FormatError as exc:
        raise UsageError(exc.summary, code="offer.invalid", found=exc.found, expected=exc.expected) from None
    return None, document


def parse_offer(document: Mapping[str, Any]) -> Offer:
    """Check an offer document. Raises :class:`RefusedError` ``offer.invalid``."""

    def bad(message: str, found: Any = None) -> RefusedError:
        return RefusedError(f"the credential offer is not usable: {message}", code="offer.invalid", found=found)

    issuer = check_url(document.get("credential_issuer"), what="credential issuer")
    ids = document.get("credential_configuration_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(item, str) and item for item in ids):
        raise bad("it names no credential configuration", ids)
    grants = document.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, Mapping) else None
    login = grants.get(AUTHORIZATION_CODE_GRANT) if isinstance(grants, Mapping) else None
    issuer_state: str | None = None
    if isinstance(login, Mapping):
        state = login.get("issuer_state", "")
        if not isinstance(state, str) or len(state) > 512:
            raise bad("its issuer_state is not a short string")
        issuer_state = state
    if not isinstance(grant, Mapping):
        if issuer_state is not None:
            return Offer(
                issuer=issuer.rstrip("/"),
                configuration_ids=tuple(dict.fromkeys(ids)),
                pre_authorized_code=None,
                tx_code=None,
                issuer_state=issuer_state,
            )
        raise bad("it has neither a pre-authorized code nor an authorization code grant")
    code = grant.get("pre-authorized_code")
    if not isinstance(code, str) or not code:
        raise bad("its pre-authorized code is missing")
    tx_code = None
    if "tx_code" in grant:
        spec = grant["tx_code"]
        if not isinstance(spec, Mapping):
            raise bad("its tx_code description is not an object", spec)
        mode, length, description = spec.get("input_mode", "numeric"), spec.get("length"), spec.get("description")
        if mode not in ("numeric", "text"):
            raise bad("its tx_code input_mode is unknown", mode)
        if length is not None and (not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 64):
            raise bad("its tx_code length is not a small number", length)
        tx_code = TxCode(mode, length, description[:300] if isinstance(description, str) else None)
    return Offer(
        issuer=issuer.rstrip("/"),
        configuration_ids=tuple(dict.fromkeys(ids)),
        pre_authorized_code=code,
        tx_code=tx_code,
        issuer_state=issuer_state,
    )


def fetch_offer(http: Http, link: str) -> Offer:
    """The offer a link points to (or carries). Raises :class:`RefusedError` for an unknown or expired offer."""
    uri, document = parse_offer_link(link)
    if uri is not None:
        check_url(uri, what="credential offer")
        answer = http.get(uri, what="credential offer")
        if answer.status == 404:
            raise RefusedError(
                "the issuer does not know this offer",
                code="offer.unknown",
                hint="Check the link or ask for a new offer.",
            )
        if answer.status == 410:
            _error, description = answer.oauth_error()
            raise RefusedError(
                "this offer has expired, was already used, or was locked after wrong codes"
                + (f" ({description})" if description else ""),
                code="offer.expired",
                hint="Ask your school or the ministry's service for a new offer.",
            )
        if answer.status != 200:
            raise unexpected(answer, expected="HTTP 200 with the credential offer")
        document = answer_object(answer)
    assert document is not None
    return parse_offer(document)


# ---------------------------------------------------------------------------------------------- metadata


def _display_names(entries: Any, member: str = "name") -> dict[str, str]:
    names: dict[str, str] = {}
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get(member), str):
                locale = entry.get("locale")
                names[str(locale).split("-")[0].lower() if isinstance(locale, str) else "und"] = entry[member]
    return names


def _claim_labels(claims: Any) -> dict[str, dict[str, str]]:
    """Top-level diploma claim -> locale -> label, from ``credential_metadata.claims`` (both profiles' paths)."""
    labels: dict[str, dict[str, str]] = {}
    if not isinstance(claims, list):
        return labels
    for entry in claims:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("path"), list):
            continue
        path = entry["path"]
        if path and path[0] == "credentialSubject":
            path = path[1:]
        if len(path) == 1 and isinstance(path[0], str):
            labels.setdefault(path[0], {}).update(_display_names(entry.get("display")))
    return labels


def fetch_metadata(http: Http, issuer: str) -> IssuerMetadata:
    """The issuer's OpenID4VCI metadata and its token endpoint. Raises :class:`NetworkError`/:class:`RefusedError`."""
    answer = http.get(f"{issuer}/.well-known/openid-credential-issuer", what="issuer metadata")
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with the credential issuer metadata")
    document = answer_object(answer)
    if document.get("credential_issuer", "").rstrip("/") != issuer:
        raise RefusedError(
            "the issuer metadata names another issuer than the offer",
            code="offer.issuer_mismatch",
            found=document.get("credential_issuer"),
            expected=issuer,
        )
    credential_endpoint = check_url(document.get("credential_endpoint"), what="credential endpoint")
    nonce_endpoint = check_url(document.get("nonce_endpoint"), what="nonce endpoint")
    servers = document.get("authorization_servers") or [issuer]
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
        raise RefusedError("the issuer metadata names no usable authorization server", code="issuer.metadata_invalid")
    server = check_url(servers[0], what="authorization server").rstrip("/")
    oauth = http.get(f"{server}/.well-known/oauth-authorization-server", what="authorization server metadata")
    if oauth.status != 200:
        raise unexpected(oauth, expected="HTTP 200 with the authorization server metadata")
    server_metadata = answer_object(oauth)
    token_endpoint = check_url(server_metadata.get("token_endpoint"), what="token endpoint")
    grant_types = server_metadata.get("grant_types_supported")
    authorization_endpoint = (
        check_url(server_metadata.get("authorization_endpoint"), what="authorization endpoint")
        if isinstance(grant_types, list) and AUTHORIZATION_CODE_GRANT in grant_types
        else None
    )
    batch = document.get("batch_credential_issuance")
    batch_size = batch.get("batch_size") if isinstance(batch, Mapping) else 1
    configurations: dict[str, Configuration] = {}
    supported = document.get("credential_configurations_supported")
    for identifier, entry in supported.items() if isinstance(supported, Mapping) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("format"), str):
            continue
        meta_value = entry.get("credential_metadata")
        meta: Mapping[str, Any] = meta_value if isinstance(meta_value, Mapping) else {}
        proof_types = entry.get("proof_types_supported")
        jwt_proofs = proof_types.get("jwt") if isinstance(proof_types, Mapping) else None
        algorithms = jwt_proofs.get("proof_signing_alg_values_supported") if isinstance(jwt_proofs, Mapping) else None
        configurations[identifier] = Configuration(
            id=identifier,
            format=entry["format"],
            name=_display_names(meta.get("display")),
            claim_labels=_claim_labels(meta.get("claims")),
            proof_algorithms=tuple(a for a in algorithms if isinstance(a, str))
            if isinstance(algorithms, list)
            else ("ES256",),
        )
    return IssuerMetadata(
        issuer=issuer,
        credential_endpoint=credential_endpoint,
        nonce_endpoint=nonce_endpoint,
        token_endpoint=token_endpoint,
        batch_size=batch_size
        if isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size >= 1
        else 1,
        name=_display_names(document.get("display")),
        configurations=configurations,
        authorization_endpoint=authorization_endpoint,
    )


# ---------------------------------------------------------------------------------- token, nonce, credential


def redeem(http: Http, metadata: IssuerMetadata, offer: Offer, tx_code: str | None) -> str:
    """Exchange the pre-authorized code (and PIN) for an access token. Raises :class:`RefusedError` when refused."""
    if offer.pre_authorized_code is None:
        raise UsageError(
            "this offer has no pre-authorized code: the graduate logs in with the eID instead",
            code="offer.login_only",
            hint="Receive it with `tawtiq-wallet receive --login OFFER`.",
        )
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    answer = http.post_form(metadata.token_endpoint, form, what="token endpoint")
    if answer.status == 400:
        error, description = answer.oauth_error()
        if error == "invalid_grant":
            raise RefusedError(
                f"the issuer refused the code: {description or 'invalid grant'}",
                code="offer.code_refused",
                hint="Check the transaction code you received with the offer. After several wrong codes the offer is "
                "locked and you need a new one.",
            )
        raise RefusedError(
            f"the issuer refused the token request: {error} {description}".strip(), code="offer.token_refused"
        )
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with an access token")
    body = answer_object(answer)
    token = body.get("access_token")
    if not isinstance(token, str) or not token or str(body.get("token_type", "")).lower() != "bearer":
        raise NetworkError(
            "the token endpoint answered without a bearer access token", code="network.unexpected_answer"
        )
    return token


def fetch_nonce(http: Http, metadata: IssuerMetadata) -> str:
    answer = http.request(
        "POST", metadata.nonce_endpoint, what="nonce endpoint", headers={"Accept": "application/json"}
    )
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with a c_nonce")
    nonce = answer_object(answer).get("c_nonce")
    if not isinstance(nonce, str) or not nonce:
        raise NetworkError("the nonce endpoint answered without a c_nonce", code="network.unexpected_answer")
    return nonce


def make_proof(key: SigningKey, *, issuer: str, nonce: str, now: datetime) -> str:
    """An ``openid4vci-proof+jwt`` (OpenID4VCI §F.1): the public key in the header, issuer and nonce signed."""
    jwk = {name: value for name, value in key.public.jwk.items() if name != "kid"}
    payload = {"aud": issuer, "iat": int(now.timestamp()), "nonce": nonce}
    return sign_compact(header={"typ": PROOF_TYPE, "jwk": jwk}, payload=json_dumps(payload), key=key, with_kid=False)


def _credential_request(
    http: Http,
    metadata: IssuerMetadata,
    *,
    token: str,
    configuration_id: str,
    keys: Sequence[SigningKey],
    now: datetime,
) -> Answer:
    nonce = fetch_nonce(http, metadata)
    proofs = [make_proof(key, issuer=metadata.issuer, nonce=nonce, now=now) for key in keys]
    return http.post_json(
        metadata.credential_endpoint,
        {"credential_configuration_id": configuration_id, "proofs": {"jwt": proofs}},
        what="credential endpoint",
        headers={"Authorization": f"Bearer {token}"},
    )


def request_copies(
    http: Http,
    metadata: IssuerMetadata,
    *,
    token: str,
    configuration_id: str,
    keys: Sequence[SigningKey],
    now: datetime,
) -> list[str]:
    """One signed copy per key (in order). A stale nonce is refreshed once. Raises :class:`RefusedError`."""
    answer = _credential_request(http, metadata, token=token, configuration_id=configuration_id, keys=keys, now=now)
    if answer.status == 400 and answer.oauth_error()[0] == "invalid_nonce":
        answer = _credential_request(http, metadata, token=token, configuration_id=configuration_id, keys=keys, now=now)
    if answer.status in (400, 401, 403):
        error, description = answer.oauth_error()
        if error == "credential_request_denied":
            raise RefusedError(f"the issuer refused to issue the diploma: {description or error}", code="offer.denied")
        raise unexpected(answer, expected="HTTP 200 with the credentials")
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with the credentials")
    items = answer_object(answer).get("credentials")
    if not isinstance(items, list) or len(items) != len(keys):
        raise RefusedError(
            "the issuer answered with another number of copies than asked",
            code="offer.copies_mismatch",
            found=len(items) if isinstance(items, list) else type(items).__name__,
            expected=len(keys),
        )
    credentials = []
    for item in items:
        credential = item.get("credential") if isinstance(item, Mapping) else None
        if not isinstance(credential, str):
            raise RefusedError("the issuer answered with a copy that is not a string", code="offer.copy_malformed")
        credentials.append(credential)
    return credentials


# ---------------------------------------------------------------------------------------------- the whole flow

TxCodeSource = Callable[[TxCode], str]


def choose_configurations(offer: Offer, metadata: IssuerMetadata, profiles: Sequence[str]) -> list[Configuration]:
    """The offered configurations of the wanted profiles (all diploma profiles offered when ``profiles`` is empty)."""
    offered = [metadata.configurations[name] for name in offer.configuration_ids if name in metadata.configurations]
    known = [item for item in offered if item.format in PROFILES]
    if not known:
        raise RefusedError(
            "the offer holds no diploma in a profile this wallet keeps",
            code="offer.no_profile",
            found=list(offer.configuration_ids),
            expected=list(PROFILES),
        )
    if not profiles:
        return known
    chosen = [item for item in known if item.format in profiles or item.id in profiles]
    if not chosen:
        raise UsageError(
            "the offer does not include the profile asked for",
            code="profile.not_offered",
            found=list(profiles),
            expected=[item.format for item in known],
        )
    return chosen


def receive(
    http: Http,
    link: str,
    *,
    tx_code: TxCodeSource,
    profiles: Sequence[str] = (),
    copies: int = 1,
    now: Callable[[], datetime],
    progress: Callable[[str], None] = lambda _message: None,
) -> Received:
    """Redeem the offer at ``link``, verify every copy, and return the diploma to store.

    Raises :class:`RefusedError` when the offer, code or any copy is refused (nothing is then kept),
    :class:`UsageError` for bad arguments and :class:`NetworkError` when the issuer cannot be reached.
    """
    if not 1 <= copies <= MAX_COPIES:
        raise UsageError(f"--copies must be between 1 and {MAX_COPIES}", code="copies.range", found=copies)
    offer = fetch_offer(http, link)
    progress(f"offer from {offer.issuer}: {', '.join(offer.configuration_ids)}")
    metadata = fetch_metadata(http, offer.issuer)
    configurations = choose_configurations(offer, metadata, profiles)
    if offer.pre_authorized_code is None:
        raise UsageError(
            "this offer has no pre-authorized code: the graduate logs in with the eID instead",
            code="offer.login_only",
            hint="Receive it with `tawtiq-wallet receive --login OFFER`.",
        )
    code = offer.tx_code.check(tx_code(offer.tx_code)) if offer.tx_code is not None else None
    token = redeem(http, metadata, offer, code)
    progress("code accepted; asking for the signed copies")
    return issue_and_verify(
        http, metadata, token=token, configurations=configurations, copies=copies, now=now, progress=progress
    )


def issue_and_verify(
    http: Http,
    metadata: IssuerMetadata,
    *,
    token: str,
    configurations: Sequence[Configuration],
    copies: int,
    now: Callable[[], datetime],
    progress: Callable[[str], None] = lambda _message: None,
) -> Received:
    """With an access token: one fresh key per copy, the signed copies, every one verified (whichever grant gave
    the token). Raises :class:`RefusedError` when a copy is refused (nothing is then kept)."""
    issued: list[tuple[Configuration, SigningKey, str]] = []
    for configuration in configurations:
        if "ES256" not in configuration.proof_algorithms:
            raise RefusedError(
                "the issuer does not accept ES256 key proofs",
                code="offer.proof_algorithm",
                found=configuration.proof_algorithms,
            )
        keys = [SigningKey.generate("ES256") for _ in range(copies)]
        for start in range(0, copies, metadata.batch_size):
            batch = keys[start : start + metadata.batch_size]
            credentials = request_copies(
                http, metadata, token=token, configuration_id=configuration.id, keys=batch, now=now()
            )
            issued += [(configuration, key, credential) for key, credential in zip(batch, credentials, strict=True)]
    progress(f"received {len(issued)} signed cop{'y' if len(issued) == 1 else 'ies'}; verifying them")
    return _verified(http, metadata, issued, now=now())


def _verified(
    http: Http,
    metadata: IssuerMetadata,
    issued: list[tuple[Configuration, SigningKey, str]],
    *,
    now: datetime,
) -> Received:
    issuer = metadata.issuer
    history = fetch_key_history(http, issuer)
    keys = KeyHistoryResolver({issuer: history})
    status = HttpStatusResolver(http, issuer=issuer, keys=keys, now=now)
    received: list[ReceivedCopy] = []
    problems: list[str] = []
    warnings: list[str] = []
    for number, (configuration, key, credential) in enumerate(issued, start=1):
        try:
            facts = read_copy(credential)
        except TawtiqError as exc:
            problems.append(f"copy {number}: [{exc.code}] {exc}")
            continue
        if facts.profile != configuration.format:
            problems.append(f"copy {number}: it is a {facts.profile}, but {configuration.id} is {configuration.format}")
            continue
        report = check_copy(credential, key, issuer=issuer, keys=keys, status=status, now=now)
        refusals = acceptance_problems(report, proved_thumbprint=key.public.thumbprint(), facts=facts)
        problems += [f"copy {number} ({facts.profile}): {problem}" for problem in refusals]
        status_check = report.check("status")
        if not refusals and status_check.outcome != "passed":
            warnings.append(f"copy {number}: the status could not be checked now ({status_check.message})")
        copy = Copy(
            id=secrets.token_hex(4),
            profile=facts.profile,
            configuration_id=configuration.id,
            credential=credential,
            holder_key=export_private_key(key),
            received_at=now,
        )
        received.append(ReceivedCopy(copy, report))
    if problems:
        raise RefusedError(
            "the issuer's answer did not pass the wallet's checks, so nothing was stored:\n  " + "\n  ".join(problems),
            code="receive.copy_refused",
            hint=f"Do not use this offer. If {origin_of(issuer)} is the ministry's real address, report the "
            "problem to it.",
        )
    labels: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for configuration in {item[0].id: item[0] for item in issued}.values():
        for claim, claim_labels in configuration.claim_labels.items():
            labels.setdefault(claim, {}).update(claim_labels)
        names.update(configuration.name)
    diploma = Diploma(
        id=secrets.token_hex(4),
        issuer=issuer,
        received_at=now,
        copies=tuple(item.copy for item in received),
        issuer_name=metadata.name,
        credential_name=names,
        claim_labels=labels,
    )
    return Received(diploma=diploma, reports=tuple(received), warnings=tuple(warnings))
