"""``tawtiq-wallet``: the graduate's wallet on the command line.

A thin shell over the wallet's modules: each command reads its options, opens the encrypted store, calls the
protocol code (:mod:`wallet_cli.oid4vci`, :mod:`wallet_cli.oid4vp`, :mod:`wallet_cli.shares`,
:mod:`wallet_cli.checking`) and commits only what passed its checks. Results go to stdout (``--json`` for
scripts), progress, warnings and prompts to stderr. Exit codes: 0 success, 1 refused or invalid (a check
failed, a wrong passphrase, a damaged store, a verdict other than valid), 2 the command could not run
(usage, a missing wallet, a service that cannot be reached, a verdict that could not be reached).

Environment: ``TAWTIQ_WALLET_DIR`` (the wallet directory), ``TAWTIQ_WALLET_PASSPHRASE`` or
``TAWTIQ_WALLET_PASSPHRASE_FILE``, ``TAWTIQ_WALLET_BACKUP_PASSPHRASE``, ``TAWTIQ_WALLET_TX_CODE``,
``TAWTIQ_WALLET_CA_FILE`` (extra TLS trust anchors, for a development issuer).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, NoReturn

import httpx
import platformdirs
import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

import schemas
from keys import KeyHistoryResolver
from vc import KeyResolver, TawtiqError, Verdict, VerificationReport, present
from wallet_cli import checking, oid4vci, oid4vp, qr, render, shares
from wallet_cli.durations import describe, parse_duration
from wallet_cli.errors import (
    EXIT_ERROR,
    EXIT_REFUSED,
    NetworkError,
    PassphraseError,
    RefusedError,
    UsageError,
    exit_code_of,
)
from wallet_cli.model import DC_SD_JWT, VC_SD_JWT, Copy, Diploma, Labels, Share, Verifier, WalletData
from wallet_cli.net import Http, origin_of
from wallet_cli.store import (
    STRONG_KDF,
    KdfParams,
    OpenWallet,
    Store,
    export_backup,
    read_backup,
    read_limited,
    write_atomically,
)

APP_NAME: Final = "tawtiq-wallet"
#: scrypt cost of new stores and backups (tests lower it; files always say what they used).
KDF: KdfParams = STRONG_KDF

app = typer.Typer(
    name=APP_NAME,
    help="Tawtiq wallet (توثيق): receive your baccalaureate diploma, keep it encrypted, show it to universities "
    "and employers — only what you choose.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
verifiers_app = typer.Typer(
    help="Your known verifiers: a request from any other address is marked UNKNOWN before you disclose anything.",
    short_help="Your list of known verifiers.",
    no_args_is_help=True,
)
app.add_typer(verifiers_app, name="verifiers")


class Lang(StrEnum):
    ar = "ar"
    fr = "fr"
    en = "en"


class ProfileChoice(StrEnum):
    dc = DC_SD_JWT
    vc = VC_SD_JWT


WalletOption = Annotated[
    Path | None,
    typer.Option(
        "--wallet",
        envvar="TAWTIQ_WALLET_DIR",
        help="The wallet directory (default: your user data directory).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of text.")]
LangOption = Annotated[
    Lang | None,
    typer.Option("--lang", help="Labels in one language: ar, fr or en (default: all three).", case_sensitive=False),
]
CaFileOption = Annotated[
    Path | None,
    typer.Option(
        "--ca-file",
        envvar="TAWTIQ_WALLET_CA_FILE",
        help="Extra PEM certificate(s) to trust for https (a development issuer's self-signed certificate).",
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (warnings are still printed).")
]


def now() -> datetime:
    """The current time (tests replace it)."""
    return datetime.now(UTC)


def http_transport() -> httpx.BaseTransport | None:
    """The HTTP transport (tests replace it to tamper with answers in flight); None for the real network."""
    return None


# ---------------------------------------------------------------------------------------------- the shell


class Ui:
    """Where things go: results on stdout, the rest on stderr."""

    def __init__(self, *, as_json: bool, lang: Lang | None = None) -> None:
        self.as_json = as_json
        self.lang: str | None = lang.value if lang is not None else None
        self.out = Console(highlight=False, soft_wrap=False)
        self.err = Console(stderr=True, highlight=False, soft_wrap=False)

    def status(self, message: str) -> None:
        self.err.print(Text(message, style="dim"))

    def warn(self, message: str) -> None:
        self.err.print(Text("warning: ", style="bold yellow") + Text(message))

    def result(self, document: dict[str, Any], show: Callable[[Console], None]) -> None:
        if self.as_json:
            typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))
        else:
            show(self.out)


@contextlib.contextmanager
def shell(as_json: bool, lang: Lang | None = None) -> Iterator[Ui]:
    """Run a command body: our errors become one message on stderr (and JSON on stdout with ``--json``)."""
    ui = Ui(as_json=as_json, lang=lang)
    try:
        yield ui
    except TawtiqError as exc:
        _fail(ui, exc)
    except (typer.Abort, EOFError):
        ui.err.print("cancelled: nothing was sent and nothing was changed")
        if ui.as_json:
            typer.echo(json.dumps({"ok": False, "error": {"code": "cancelled", "message": "cancelled"}}))
        raise typer.Exit(EXIT_REFUSED) from None


def _fail(ui: Ui, exc: TawtiqError) -> NoReturn:
    hint = getattr(exc, "hint", None)
    ui.err.print(Text("error: ", style="bold red") + Text(str(exc)) + Text(f" [{exc.code}]", style="dim"))
    if hint:
        ui.err.print(Text(hint))
    if ui.as_json:
        typer.echo(
            json.dumps(
                {"ok": False, "error": {"code": exc.code, "message": str(exc), "hint": hint}}, ensure_ascii=False
            )
        )
    raise typer.Exit(exit_code_of(exc))


def _store(wallet: Path | None) -> Store:
    directory = wallet if wallet is not None else platformdirs.user_data_path(APP_NAME, appauthor=False)
    return Store(directory.expanduser(), kdf=KDF)


def _secret_from_environment(variable: str) -> bytes | None:
    value = os.environ.get(variable)
    if value:
        return value.encode("utf-8")
    path = os.environ.get(f"{variable}_FILE")
    if path:
        try:
            content = Path(path).read_bytes()
        except OSError as exc:
            raise UsageError(
                f"{variable}_FILE names a file that cannot be read: {path}", code="passphrase.file"
            ) from exc
        return content.removesuffix(b"\n").removesuffix(b"\r")
    return None


def _passphrase(
    *, new: bool = False, variable: str = "TAWTIQ_WALLET_PASSPHRASE", prompt: str = "Wallet passphrase"
) -> bytes:
    secret = _secret_from_environment(variable)
    if secret is not None:
        return secret
    value = typer.prompt(prompt, hide_input=True, confirmation_prompt=new, err=True)
    return str(value).encode("utf-8")


#: Passphrase attempts when it is typed (one when it comes from the environment).
PASSPHRASE_ATTEMPTS: Final = 3


def _open(wallet: Path | None, ui: Ui) -> OpenWallet:
    store = _store(wallet)
    store.require()
    for change in store.tighten_permissions():
        ui.warn(change)
    secret = _secret_from_environment("TAWTIQ_WALLET_PASSPHRASE")
    if secret is not None:
        return store.read(secret)
    for attempt in range(1, PASSPHRASE_ATTEMPTS + 1):
        try:
            return store.read(_passphrase())
        except PassphraseError:
            if attempt == PASSPHRASE_ATTEMPTS:
                raise
            ui.err.print("That passphrase does not open this wallet; try again.")
    raise AssertionError("unreachable")  # pragma: no cover


def _http(ca_file: Path | None) -> Http:
    return Http(ca_file=ca_file, transport=http_transport())


def _input_link(argument: str, schemes: tuple[str, ...], ui: Ui) -> str:
    """A link given as text, or read from the QR code in a picture."""
    if not qr.looks_like_path(argument, schemes):
        return argument.strip()
    path = Path(argument)
    if not path.exists():
        raise UsageError(
            f"{argument!r} is neither a {' or '.join(s + '://' for s in schemes)} link nor an image file",
            code="input.invalid",
            hint="Paste the whole link (in quotes), or give the path of a photo or screenshot of the QR code.",
        )
    text = qr.decode_image(path)
    ui.status(f"QR code read from {path}")
    return text


def _pick_diploma(data: WalletData, identifier: str | None, *, profile: str | None = None) -> Diploma:
    if identifier is not None:
        return data.diploma(identifier)
    candidates = [d for d in data.diplomas if profile is None or d.copies_of(profile)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UsageError(
            "the wallet holds no diploma" + (f" with a {profile} copy" if profile else ""),
            code="diploma.none",
            hint=f"The diplomas here have only {', '.join(sorted({p for d in data.diplomas for p in d.profiles()}))} "
            f"copies; receive the diploma again from an offer that includes {profile}."
            if data.diplomas
            else "Receive one first with `tawtiq-wallet receive`.",
        )
    raise UsageError(
        f"the wallet holds {len(candidates)} diplomas; say which with --diploma ID",
        code="diploma.ambiguous",
        found=[d.id for d in candidates],
    )


def _subject(diploma: Diploma) -> dict[str, Any]:
    return checking.read_copy(diploma.copies[0].credential).subject


def _parse_claims(text: str, *, option: str = "--disclose") -> tuple[str, ...]:
    """``familyName,givenName`` -> the claim names, each a top-level diploma claim. Raises :class:`UsageError`."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise UsageError(
            f"{option} names no claim", code="disclose.empty", expected="e.g. familyName,givenName,mention"
        )
    unknown = [name for name in names if name not in schemas.SUBJECT_CLAIMS]
    if unknown:
        nested = [name for name in unknown if name.split(".")[0] in schemas.SUBJECT_CLAIMS]
        what = "parts of claims" if len(nested) == len(unknown) else "claims a diploma does not have"
        raise UsageError(
            f"{option} names {what}: {', '.join(unknown)}",
            code="disclose.unknown_claim",
            expected=f"whole claims among {', '.join(schemas.SUBJECT_CLAIMS)}",
            hint="Each claim is disclosed whole (e.g. familyName gives both the Arabic and the Latin spelling).",
        )
    return tuple(dict.fromkeys(names))


def _private_warning(ui: Ui, chosen: Sequence[str], labels: Mapping[str, Labels]) -> list[str]:
    private = [name for name in chosen if name in schemas.PRIVATE_CLAIMS]
    if private:
        described = ", ".join(f"{name} ({render.label(name, ui.lang or 'fr', labels)})" for name in private)
        ui.err.print(
            Panel(
                Text(
                    f"You are about to disclose personal data: {described}.\n"
                    "Your CNIE number, birth date, birth place and Massar code identify you everywhere; "
                    "a diploma check rarely needs them. Disclose them only if you know why this verifier needs them.",
                ),
                title="⚠ personal data",
                border_style="bold red",
            )
        )
    return private


def _use_copy(diploma: Diploma, profile: str) -> Copy:
    copy = diploma.least_used(profile)
    if copy is None:
        raise RefusedError(
            f"this diploma has no {profile} copy",
            code="diploma.profile_missing",
            found=list(diploma.profiles()),
            expected=profile,
            hint="Receive the diploma again from an offer that includes this profile.",
        )
    return copy


def _count_use(data: WalletData, diploma_id: str, copy_id: str, verifier: str, when: datetime) -> WalletData:
    """Record that a copy was shown to ``verifier`` (the least-used copy goes next; the verifier is now met)."""
    with contextlib.suppress(UsageError):
        diploma = data.diploma(diploma_id)
        for copy in diploma.copies:
            if copy.id == copy_id:
                data = data.with_diploma(diploma.with_copy(replace(copy, presentations=copy.presentations + 1)))
    met = data.verifier(verifier) or Verifier(origin=verifier, first_seen=when)
    return data.with_verifier(
        replace(met, presentations=met.presentations + 1, last_seen=when, first_seen=met.first_seen or when)
    )


# ---------------------------------------------------------------------------------------------- init


@app.command()
def init(wallet: WalletOption = None, as_json: JsonOption = False) -> None:
    """Create a new, empty, encrypted wallet.

    The passphrase is asked twice (TAWTIQ_WALLET_PASSPHRASE for scripts). Everything in it — holder keys, diplomas
    with your CNIE number and birth data, share links — is encrypted with a key derived from the passphrase. Without
    the passphrase nobody can open it, you included: keep a backup (`tawtiq-wallet export`).
    """
    with shell(as_json) as ui:
        store = _store(wallet)
        if store.exists():
            raise UsageError(f"a wallet already exists in {store.directory}", code="wallet.exists")
        store.create(_passphrase(new=True, prompt="New wallet passphrase"))
        ui.result(
            {"ok": True, "wallet": str(store.directory)},
            lambda out: out.print(f"New wallet in {store.directory} (encrypted; only you can read it)."),
        )


# ---------------------------------------------------------------------------------------------- receive


@app.command()
def receive(
    offer: Annotated[
        str, typer.Argument(help="The openid-credential-offer:// link, or a photo/screenshot of its QR code.")
    ],
    tx_code: Annotated[
        str | None,
        typer.Option(
            "--tx-code", envvar="TAWTIQ_WALLET_TX_CODE", help="The PIN sent with the offer (asked if missing)."
        ),
    ] = None,
    profile: Annotated[
        list[ProfileChoice] | None,
        typer.Option("--profile", help="Only this profile (dc+sd-jwt or vc+sd-jwt; default: every offered one)."),
    ] = None,
    copies: Annotated[
        int, typer.Option("--copies", min=1, max=oid4vci.MAX_COPIES, help="Copies per profile, each with its own key.")
    ] = 1,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Receive a diploma from an offer (OpenID4VCI).

    The offer is the openid-credential-offer:// link or a photo of its QR code; the PIN (transaction code) came
    separately. Each copy is bound to a fresh key made for it. Before anything is stored the wallet checks the
    issuer's signature against the keys it publishes, that the copy is bound to the key the wallet proved, the
    disclosures, the data and the current status; a copy that fails is refused and nothing is kept.
    """
    with shell(as_json, lang) as ui:
        opened = _open(wallet, ui)
        link = _input_link(offer, (oid4vci.OFFER_SCHEME,), ui)

        def ask(spec: oid4vci.TxCode) -> str:
            if tx_code is not None:
                return tx_code
            if spec.description:
                ui.err.print(spec.description)
            return str(typer.prompt(f"Transaction code ({spec.shape()})", hide_input=True, err=True))

        with _http(ca_file) as http:
            received = oid4vci.receive(
                http,
                link,
                tx_code=ask,
                profiles=[choice.value for choice in profile or []],
                copies=copies,
                now=now,
                progress=ui.status,
            )
        for warning in received.warnings:
            ui.warn(warning)
        incoming = received.diploma
        subject = checking.read_copy(incoming.copies[0].credential).subject

        def store_it(data: WalletData) -> tuple[WalletData, Diploma]:
            for existing in data.diplomas:
                if existing.issuer == incoming.issuer and _subject(existing) == subject:
                    merged = replace(
                        existing,
                        copies=existing.copies + incoming.copies,
                        claim_labels={**existing.claim_labels, **incoming.claim_labels},
                        issuer_name=incoming.issuer_name or existing.issuer_name,
                    )
                    return data.with_diploma(merged), merged
            return data.with_diploma(incoming), incoming

        kept = opened.update(store_it)
        summary = render.diploma_summary(kept, subject, ui.lang)
        document = {
            "ok": True,
            "diploma": kept.id,
            "issuer": kept.issuer,
            "new_copies": [{"id": c.id, "profile": c.profile} for c in incoming.copies],
            "copies": len(kept.copies),
            "summary": summary,
            "checks": [item.report.to_dict()["checks"] for item in received.reports],
            "warnings": list(received.warnings),
        }

        def show(out: Console) -> None:
            out.print(
                f"Received and verified {len(incoming.copies)} cop{'y' if len(incoming.copies) == 1 else 'ies'} "
                f"({', '.join(sorted({c.profile for c in incoming.copies}))}) of the diploma of {summary['name']} "
                f"— {summary['session']}, {summary['mention']}."
            )
            out.print(f"Issuer: {summary['issuer']} ({kept.issuer})")
            out.print(
                f"Kept in the wallet as diploma {kept.id} ({len(kept.copies)} copies). Show it with "
                f"`tawtiq-wallet show {kept.id}`."
            )

        ui.result(document, show)


# ---------------------------------------------------------------------------------------------- list, show, delete


@app.command("list")
def list_diplomas(wallet: WalletOption = None, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """List the diplomas in the wallet."""
    with shell(as_json, lang) as ui:
        data = _open(wallet, ui).data
        rows: list[dict[str, Any]] = []
        for diploma in data.diplomas:
            summary = render.diploma_summary(diploma, _subject(diploma), ui.lang)
            counts = {profile: len(diploma.copies_of(profile)) for profile in diploma.profiles()}
            rows.append({"id": diploma.id, **summary, "copies": counts, "received_at": diploma.received_at.isoformat()})

        def show(out: Console) -> None:
            if not rows:
                out.print("The wallet is empty. Receive a diploma with `tawtiq-wallet receive OFFER`.")
                return
            table = Table(show_header=True, header_style="bold")
            for column in ("id", "name", "session", "mention", "average", "issuer", "copies", "received"):
                table.add_column(column, justify="right" if ui.lang == "ar" and column == "name" else "left")
            for row in rows:
                copies = ", ".join(f"{n}× {p}" for p, n in row["copies"].items())
                table.add_row(
                    row["id"],
                    row["name"],
                    row["session"],
                    row["mention"],
                    row["average"],
                    row["issuer"],
                    copies,
                    row["received_at"][:10],
                )
            out.print(table)

        ui.result({"diplomas": rows}, show)


@app.command()
def show(
    diploma_id: Annotated[str, typer.Argument(metavar="ID", help="The diploma's id (or its first characters).")],
    wallet: WalletOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Show a diploma's claims with their labels.

    Every claim with its Arabic, French and English label from the issuer's metadata (Arabic right-aligned;
    --lang for one language). 🔒 marks what is never disclosed by default.
    """
    with shell(as_json, lang) as ui:
        diploma = _open(wallet, ui).data.diploma(diploma_id)
        subject = _subject(diploma)
        claims = [
            {
                "name": name,
                "labels": render.all_labels(name, diploma.claim_labels),
                "value": subject[name],
                "display": render.value_text(name, subject[name], ui.lang),
                "private": name in schemas.PRIVATE_CLAIMS,
            }
            for name in schemas.SUBJECT_CLAIMS
            if name in subject
        ]
        document = {
            "id": diploma.id,
            "issuer": diploma.issuer,
            "issuer_name": dict(diploma.issuer_name),
            "credential_name": dict(diploma.credential_name),
            "received_at": diploma.received_at.isoformat(),
            "claims": claims,
            "copies": [
                {
                    "id": c.id,
                    "profile": c.profile,
                    "presentations": c.presentations,
                    "received_at": c.received_at.isoformat(),
                }
                for c in diploma.copies
            ],
        }

        def render_it(out: Console) -> None:
            title = render.localized(diploma.credential_name, ui.lang) or "Baccalaureate diploma"
            issuer = render.localized(diploma.issuer_name, ui.lang) or diploma.issuer
            out.print(Text(f"{title} — {diploma.id}", style="bold"), justify="right" if ui.lang == "ar" else "left")
            out.print(f"{issuer} ({diploma.issuer}); received {diploma.received_at:%Y-%m-%d %H:%M} UTC")
            out.print(render.claims_table(subject, lang=ui.lang, labels=diploma.claim_labels))
            copies = ", ".join(f"{c.id} ({c.profile}, shown {c.presentations}×)" for c in diploma.copies)
            out.print(f"Copies: {copies}")

        ui.result(document, render_it)


@app.command()
def delete(
    diploma_id: Annotated[str, typer.Argument(metavar="ID", help="The diploma's id.")],
    wallet: WalletOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a diploma from this wallet.

    Its holder keys are destroyed; the ministry's record is not affected. Share links made with it stay open at the
    verifiers until they expire or you withdraw them with `unshare`.
    """
    with shell(as_json) as ui:
        opened = _open(wallet, ui)
        diploma = opened.data.diploma(diploma_id)
        active = [s for s in opened.data.shares if s.diploma_id == diploma.id and s.state(now()) == "active"]
        if active:
            ui.warn(
                f"{len(active)} share link(s) of this diploma stay open until withdrawn: "
                + ", ".join(s.id for s in active)
            )
        if not yes and not typer.confirm(
            f"Delete diploma {diploma.id} and its {len(diploma.copies)} copies from this wallet?",
            default=False,
            err=True,
        ):
            raise typer.Abort

        def remove(data: WalletData) -> tuple[WalletData, None]:
            data.diploma(diploma.id)
            return data.without_diploma(diploma.id), None

        opened.update(remove)
        ui.result(
            {"ok": True, "deleted": diploma.id}, lambda out: out.print(f"Diploma {diploma.id} deleted from the wallet.")
        )


# ---------------------------------------------------------------------------------------------- present


def _describe_request(
    ui: Ui, request: oid4vp.PresentationRequest, data: WalletData, diploma: Diploma, subject: dict[str, Any]
) -> str:
    met = data.verifier(request.verifier_origin)
    standing = (
        "known" if met is not None and met.known else "seen" if met is not None and met.presentations else "unknown"
    )
    lines = Text()
    lines.append("Who is asking: ", style="bold")
    lines.append(request.verifier_host, style="bold")
    lines.append(f"\nYour answer would go to {request.response_uri}\n")
    lines.append(
        "Not authenticated: the verifier identifies itself only by this web address (client_id prefix redirect_uri:); "
        "nothing proves who runs it. Check the address is the one of the university or employer you expect.\n",
        style="yellow",
    )
    if request.response_uri.startswith("http://"):
        lines.append("Plain http (this machine only, for development).\n", style="yellow")
    if standing == "known":
        lines.append(f"Known verifier: {met.name or met.origin} (on your list of known verifiers).\n", style="green")  # type: ignore[union-attr]
    elif standing == "seen":
        lines.append(
            f"Not on your list of known verifiers; you answered it {met.presentations} time(s) before.\n",  # type: ignore[union-attr]
            style="yellow",
        )
    else:
        lines.append(
            "⚠ UNKNOWN VERIFIER: you have never answered this address and it is not on your list of known verifiers.\n",
            style="bold red",
        )
    if request.request_uri and origin_of(request.request_uri) != request.verifier_origin:
        lines.append(f"The request itself came from another site: {origin_of(request.request_uri)}.\n", style="yellow")
    ui.err.print(Panel(lines, title="Presentation request", border_style="cyan"))
    if request.claims:
        ui.err.print(f"It asks for {len(request.claims)} claim(s) of your diploma {diploma.id}:")
        ui.err.print(render.claims_table(subject, lang=ui.lang, labels=diploma.claim_labels, only=request.claims))
    else:
        ui.err.print("It asks for no claim of your diploma (only that you hold one).")
    if request.nested_paths:
        ui.warn(f"it asks for parts of claims ({', '.join(request.nested_paths)}); the whole claims would be disclosed")
    return standing


@app.command("present")
def present_command(
    request_link: Annotated[
        str, typer.Argument(metavar="REQUEST", help="The openid4vp:// link, or a picture of its QR code.")
    ],
    disclose: Annotated[
        str | None, typer.Option("--disclose", help="Disclose these requested claims (comma-separated) without asking.")
    ] = None,
    all_requested: Annotated[bool, typer.Option("--all-requested", help="Disclose every requested claim.")] = False,
    decline: Annotated[
        bool, typer.Option("--decline", help="Tell the verifier you decline; disclose nothing.")
    ] = False,
    diploma_id: Annotated[
        str | None, typer.Option("--diploma", help="Which diploma (when the wallet holds several).")
    ] = None,
    yes: YesOption = False,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Answer a verifier's request (OpenID4VP).

    See who asks and for what (a verifier you do not know is marked UNKNOWN), choose what to disclose, send it.
    Without --disclose or --all-requested the wallet asks claim by claim. Disclosing the CNIE number, birth
    date, birth place or Massar code needs an explicit confirmation (or --yes, which still prints the warning).
    """
    with shell(as_json, lang) as ui:
        if sum([disclose is not None, all_requested, decline]) > 1:
            raise UsageError("give only one of --disclose, --all-requested and --decline", code="usage.conflict")
        chosen_claims = _parse_claims(disclose) if disclose is not None else None
        opened = _open(wallet, ui)
        link = _input_link(request_link, (oid4vp.SCHEME,), ui)
        with _http(ca_file) as http:
            request = oid4vp.fetch_request(http, link, now=now())
            diploma = _pick_diploma(opened.data, diploma_id, profile=DC_SD_JWT)
            copy = _use_copy(diploma, DC_SD_JWT)
            subject = checking.read_copy(copy.credential).subject
            standing = _describe_request(ui, request, opened.data, diploma, subject)
            verifier_info = {
                "origin": request.verifier_origin,
                "host": request.verifier_host,
                "response_uri": request.response_uri,
                "authenticated": request.authenticated,
                "standing": standing,
            }
            if decline:
                oid4vp.decline(http, request)
                ui.result(
                    {"ok": True, "answer": "declined", "verifier": verifier_info, "disclosed": []},
                    lambda out: out.print(f"Declined: {request.verifier_host} was told you do not share your diploma."),
                )
                return
            missing = [name for name in request.claims if name not in subject]
            if missing:
                raise RefusedError(
                    "the request asks for claims your diploma does not have",
                    code="request.claims_missing",
                    found=missing,
                )
            if chosen_claims is not None:
                extra = [name for name in chosen_claims if name not in request.claims]
                if extra:
                    raise UsageError(
                        f"--disclose names claims the verifier did not ask for: {', '.join(extra)}",
                        code="disclose.not_requested",
                        expected=f"some of {', '.join(request.claims) or '(none)'}",
                        hint="The wallet discloses only what was asked for.",
                    )
                chosen = list(chosen_claims)
            elif all_requested:
                chosen = list(request.claims)
            else:
                chosen = [
                    name
                    for name in request.claims
                    if typer.confirm(
                        f"Disclose {name} ({render.label(name, ui.lang or 'fr', diploma.claim_labels)})?",
                        default=name not in schemas.PRIVATE_CLAIMS,
                        err=True,
                    )
                ]
            withheld = [name for name in request.claims if name not in chosen]
            if withheld:
                ui.warn(
                    f"not disclosing {', '.join(withheld)}: "
                    "the verifier asked for them and will likely refuse without them"
                )
            private = _private_warning(ui, chosen, diploma.claim_labels)
            interactive = chosen_claims is None and not all_requested
            if private and not yes and not typer.confirm("Disclose this personal data?", default=False, err=True):
                raise typer.Abort
            if private and yes:
                ui.warn(f"--yes: disclosing {', '.join(private)} without asking")
            if (
                interactive
                and not yes
                and not typer.confirm(
                    f"Send {len(chosen)} claim(s) to {request.verifier_host}?", default=False, err=True
                )
            ):
                raise typer.Abort
            presentation = present(
                copy.credential,
                disclose=[(name,) for name in chosen],
                key=copy.signing_key(),
                audience=request.client_id,
                nonce=request.nonce,
                now=now(),
            )
            ui.status(f"sending to {request.response_uri}")
            oid4vp.respond(http, request, presentation)
        moment = now()
        opened.update(lambda data: (_count_use(data, diploma.id, copy.id, request.verifier_origin, moment), None))
        ui.result(
            {
                "ok": True,
                "answer": "sent",
                "verifier": verifier_info,
                "diploma": diploma.id,
                "copy": copy.id,
                "disclosed": chosen,
            },
            lambda out: out.print(
                f"Sent {len(chosen)} claim(s) to {request.verifier_host}: {', '.join(chosen) or '(none)'}. "
                "The verifier shows the result on its screen."
            ),
        )


# ---------------------------------------------------------------------------------------------- share


@app.command()
def share(
    verifier: Annotated[str, typer.Option("--verifier", help="The verifier's address, e.g. https://verify.tawtiq.ma.")],
    disclose: Annotated[
        str, typer.Option("--disclose", help="The claims to show, comma-separated (e.g. familyName,givenName,mention).")
    ],
    expires: Annotated[str, typer.Option("--expires", help="How long the link works: 1h, 12h, 7d, 30d…")] = "7d",
    diploma_id: Annotated[
        str | None, typer.Option("--diploma", help="Which diploma (when the wallet holds several).")
    ] = None,
    profile: Annotated[ProfileChoice | None, typer.Option("--profile", help="Which copy format to share.")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Also save the link's QR code as PNG.")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Also save the link's QR code as SVG.")] = None,
    yes: YesOption = False,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Make a share link and its QR code.

    Anyone with the link can check the claims you chose until it expires. Opening the link re-verifies the diploma
    live, so a revoked diploma shows as revoked. Withdraw the link any time with `tawtiq-wallet unshare ID`.
    """
    with shell(as_json, lang) as ui:
        chosen = _parse_claims(disclose)
        lifetime = parse_duration(expires)
        base = shares.verifier_base(verifier)
        opened = _open(wallet, ui)
        diploma = _pick_diploma(opened.data, diploma_id)
        wanted = profile.value if profile is not None else (DC_SD_JWT if diploma.copies_of(DC_SD_JWT) else VC_SD_JWT)
        copy = _use_copy(diploma, wanted)
        private = _private_warning(ui, chosen, diploma.claim_labels)
        if private and not yes and not typer.confirm("Put this personal data behind a link?", default=False, err=True):
            raise typer.Abort
        if private and yes:
            ui.warn(f"--yes: sharing {', '.join(private)} without asking")
        paths = [(name,) if copy.profile == DC_SD_JWT else ("credentialSubject", name) for name in chosen]
        key = copy.signing_key()

        def build(audience: str, nonce: str) -> str:
            return present(copy.credential, disclose=paths, key=key, audience=audience, nonce=nonce, now=now())

        ui.status(f"asking {base} for a share link ({describe(lifetime)})")
        with _http(ca_file) as http:
            created = shares.create_share(http, base, expires_in=lifetime, present=build)
        record = Share(
            id=secrets.token_hex(4),
            link_id=created.id,
            url=created.url,
            verifier=origin_of(base),
            diploma_id=diploma.id,
            profile=copy.profile,
            disclosed=chosen,
            created_at=now(),
            expires_at=created.expires_at,
            revoke_token=created.revoke_token,
        )
        moment = now()
        opened.update(
            lambda data: (_count_use(data, diploma.id, copy.id, origin_of(base), moment).with_share(record), None)
        )
        for path in (png, svg):
            if path is not None:
                qr.save(created.url, path)
                ui.status(f"QR code saved to {path}")
        if created.verdict != "valid":
            ui.warn(f"the verifier reports the shared diploma as {created.verdict}: " + "; ".join(created.problems))
        document = {
            "ok": True,
            "id": record.id,
            "url": created.url,
            "expires_at": created.expires_at.isoformat(),
            "verdict": created.verdict,
            "disclosed": list(chosen),
            "diploma": diploma.id,
        }

        def render_it(out: Console) -> None:
            qr.terminal(created.url, out.file)  # type: ignore[arg-type]
            out.print(created.url, soft_wrap=True)
            out.print(
                f"Shows {', '.join(chosen)}; works until {created.expires_at:%Y-%m-%d %H:%M} UTC. "
                f"Withdraw it with `tawtiq-wallet unshare {record.id}`."
            )

        ui.result(document, render_it)


@app.command("shares")
def list_shares(
    live: Annotated[
        bool, typer.Option("--live", help="Open each active link now and show what a visitor sees.")
    ] = False,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """List your share links.

    With their state (active, expired, withdrawn) and, with --live, what a visitor sees now.
    """
    with shell(as_json) as ui:
        data = _open(wallet, ui).data
        moment = now()
        rows: list[dict[str, Any]] = []
        with contextlib.ExitStack() as stack:
            http = stack.enter_context(_http(ca_file)) if live else None
            for item in data.shares:
                row: dict[str, Any] = {
                    "id": item.id,
                    "url": item.url,
                    "verifier": item.verifier,
                    "diploma": item.diploma_id,
                    "disclosed": list(item.disclosed),
                    "created_at": item.created_at.isoformat(),
                    "expires_at": item.expires_at.isoformat(),
                    "state": item.state(moment),
                }
                if http is not None and row["state"] == "active":
                    try:
                        row["live"] = shares.open_share(http, item.url).state
                    except TawtiqError as exc:
                        row["live"] = f"error: {exc.summary}"
                rows.append(row)

        def render_it(out: Console) -> None:
            if not rows:
                out.print("No share links. Make one with `tawtiq-wallet share --verifier URL --disclose ...`.")
                return
            table = Table(show_header=True, header_style="bold")
            for column in ("id", "state", *(["now"] if live else []), "expires", "claims", "url"):
                table.add_column(column, overflow="fold")
            for row in rows:
                table.add_row(
                    row["id"],
                    row["state"],
                    *([row.get("live", "—")] if live else []),
                    row["expires_at"][:16],
                    ", ".join(row["disclosed"]),
                    row["url"],
                )
            out.print(table)

        ui.result({"shares": rows}, render_it)


@app.command()
def unshare(
    share_id: Annotated[str, typer.Argument(metavar="ID", help="The share link's id (see `shares`).")],
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a share link.

    The verifier erases the presentation and the link stops working.
    """
    with shell(as_json) as ui:
        opened = _open(wallet, ui)
        item = opened.data.share(share_id)
        if item.withdrawn_at is not None:
            raise UsageError(f"share link {item.id} was already withdrawn", code="share.withdrawn")
        with _http(ca_file) as http:
            ended_now = shares.withdraw(http, item)
        moment = now()

        def mark(data: WalletData) -> tuple[WalletData, None]:
            current = data.share(item.id)
            return data.with_share(replace(current, withdrawn_at=moment, revoke_token=None)), None

        opened.update(mark)
        message = "withdrawn" if ended_now else "had already ended at the verifier (expired)"
        ui.result(
            {"ok": True, "id": item.id, "withdrawn": True, "was_active": ended_now},
            lambda out: out.print(f"Share link {item.id} {message}: {item.url} no longer shows your diploma."),
        )


# ---------------------------------------------------------------------------------------------- verify


@app.command("verify")
def verify_command(
    diploma_id: Annotated[str, typer.Argument(metavar="ID", help="The diploma's id.")],
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Check a diploma's signature and current status.

    The issuer's signature against the keys it publishes, its CURRENT status from the issuer's status lists, and the
    binding to your keys; every check is printed. Exit code 0 when every copy is valid, 1 when one is not (revoked,
    suspended, tampered), 2 when the check could not be completed (the issuer could not be reached).
    """
    with shell(as_json, lang) as ui:
        diploma = _open(wallet, ui).data.diploma(diploma_id)
        moment = now()
        ui.status(f"fetching the keys and status lists of {diploma.issuer}")
        with _http(ca_file) as http:
            reports: list[tuple[Copy, VerificationReport]] = []
            keys: KeyResolver
            try:
                keys = KeyHistoryResolver({diploma.issuer: checking.fetch_key_history(http, diploma.issuer)})
            except NetworkError as exc:
                ui.warn(f"the issuer's keys cannot be fetched: {exc.summary}")
                keys = checking.UnavailableKeys(exc.summary)
            status = checking.HttpStatusResolver(http, issuer=diploma.issuer, keys=keys, now=moment)
            for copy in diploma.copies:
                report = checking.check_copy(
                    copy.credential, copy.signing_key(), issuer=diploma.issuer, keys=keys, status=status, now=moment
                )
                reports.append((copy, report))
        order = (Verdict.VALID, Verdict.INDETERMINATE, Verdict.INVALID)
        verdict = max((report.verdict for _copy, report in reports), key=order.index)
        document = {
            "diploma": diploma.id,
            "issuer": diploma.issuer,
            "verdict": str(verdict),
            "checked_at": moment.isoformat(),
            "copies": [{"id": copy.id, "profile": copy.profile, **report.to_dict()} for copy, report in reports],
        }

        def render_it(out: Console) -> None:
            for copy, report in reports:
                out.print(
                    Panel(
                        render.report_table(report),
                        title=f"copy {copy.id} ({copy.profile})",
                        subtitle=Text.assemble("verdict: ", render.verdict_text(str(report.verdict), ui.lang)),
                    )
                )
            out.print(Text.assemble(f"Diploma {diploma.id}: ", render.verdict_text(str(verdict), ui.lang)))
            for _copy, report in reports[:1]:
                for item in report.status:
                    out.print(f"status ({item.purpose}): list {item.list_uri}, index {item.index}, value {item.value}")

        ui.result(document, render_it)
        if verdict is Verdict.INVALID:
            raise typer.Exit(EXIT_REFUSED)
        if verdict is Verdict.INDETERMINATE:
            raise typer.Exit(EXIT_ERROR)


# ---------------------------------------------------------------------------------- export, import, passphrase


@app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="Where to write the encrypted backup.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an encrypted backup of the wallet.

    Keys, diplomas and share links, under a backup passphrase. The backup restores onto an empty wallet on any
    machine with `tawtiq-wallet import FILE`. The backup passphrase is asked twice (TAWTIQ_WALLET_BACKUP_PASSPHRASE
    for scripts).
    """
    with shell(as_json) as ui:
        if file.exists() and not force:
            raise UsageError(f"{file} exists; give --force to overwrite it", code="file.exists")
        data = _open(wallet, ui).data
        backup_passphrase = _passphrase(
            new=True, variable="TAWTIQ_WALLET_BACKUP_PASSPHRASE", prompt="Backup passphrase"
        )
        content = export_backup(data, backup_passphrase, kdf=KDF)
        try:
            write_atomically(file, content)
        except OSError as exc:
            raise UsageError(f"cannot write {file}: {exc.strerror}", code="file.unwritable") from exc
        ui.result(
            {"ok": True, "file": str(file), "diplomas": len(data.diplomas), "shares": len(data.shares)},
            lambda out: out.print(
                f"Backup written to {file}: {len(data.diplomas)} diploma(s), {len(data.shares)} share link(s), "
                "encrypted. "
                "Keep the backup passphrase apart from the file."
            ),
        )


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A backup made with `tawtiq-wallet export`.")],
    replace_content: Annotated[
        bool, typer.Option("--replace", help="Replace the content of a wallet that is not empty.")
    ] = False,
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into an empty wallet.

    The wallet is created if needed. A wallet that is not empty is refused unless --replace is given (its current
    version is still kept as wallet.json.prev).
    """
    with shell(as_json) as ui:
        store = _store(wallet)
        raw = read_limited(file, what="backup")
        opened = None
        if store.exists():
            opened = _open(wallet, ui)
            if not opened.data.empty and not replace_content:
                raise RefusedError(
                    f"the wallet in {store.directory} is not empty ({len(opened.data.diplomas)} diploma(s), "
                    f"{len(opened.data.shares)} share link(s))",
                    code="wallet.not_empty",
                    hint="Import into a new wallet (--wallet DIR), or give --replace to overwrite its content.",
                )
        data = read_backup(raw, _passphrase(variable="TAWTIQ_WALLET_BACKUP_PASSPHRASE", prompt="Backup passphrase"))
        if opened is None:
            store.create(_passphrase(new=True, prompt="New wallet passphrase"), data)
        else:
            opened.update(lambda _current: (data, None))
        ui.result(
            {"ok": True, "wallet": str(store.directory), "diplomas": len(data.diplomas), "shares": len(data.shares)},
            lambda out: out.print(
                f"Restored {len(data.diplomas)} diploma(s) and {len(data.shares)} share link(s) into {store.directory}."
            ),
        )


@app.command("passphrase")
def change_passphrase(wallet: WalletOption = None, as_json: JsonOption = False) -> None:
    """Change the wallet's passphrase.

    The store (and its previous version) is re-encrypted under a key derived with a new salt.
    """
    with shell(as_json) as ui:
        store = _store(wallet)
        store.require()
        old = _passphrase(prompt="Current passphrase")
        new = str(typer.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True)).encode("utf-8")
        store.change_passphrase(old, new)
        ui.result({"ok": True}, lambda out: out.print("Passphrase changed."))


# ---------------------------------------------------------------------------------------------- verifiers


@verifiers_app.command("list")
def verifiers_list(wallet: WalletOption = None, as_json: JsonOption = False) -> None:
    """List the verifiers you know or have answered."""
    with shell(as_json) as ui:
        data = _open(wallet, ui).data
        rows = [item.to_json() for item in data.verifiers]

        def render_it(out: Console) -> None:
            table = Table(show_header=True, header_style="bold")
            for column in ("origin", "name", "known", "answered", "last"):
                table.add_column(column)
            for item in data.verifiers:
                table.add_row(
                    item.origin,
                    item.name or "",
                    "yes" if item.known else "no",
                    str(item.presentations),
                    item.last_seen.isoformat()[:16] if item.last_seen else "",
                )
            out.print(table)

        ui.result({"verifiers": rows}, render_it)


@verifiers_app.command("add")
def verifiers_add(
    origin: Annotated[str, typer.Argument(help="The verifier's address, e.g. https://admissions.um5.ac.ma.")],
    name: Annotated[str, typer.Option("--name", help="Your name for it, e.g. 'Université Mohammed V'.")],
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a verifier's address as known.

    Its requests are then shown with your name for it.
    """
    with shell(as_json) as ui:
        address = origin_of(shares.verifier_base(origin))
        opened = _open(wallet, ui)

        def add(data: WalletData) -> tuple[WalletData, None]:
            current = data.verifier(address) or Verifier(origin=address)
            return data.with_verifier(replace(current, known=True, name=name.strip() or None)), None

        opened.update(add)
        ui.result(
            {"ok": True, "origin": address, "name": name},
            lambda out: out.print(f"{address} is now a known verifier ({name})."),
        )


@verifiers_app.command("remove")
def verifiers_remove(
    origin: Annotated[str, typer.Argument(help="The verifier's address.")],
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forget a verifier.

    Its next request is shown as UNKNOWN.
    """
    with shell(as_json) as ui:
        address = origin_of(shares.verifier_base(origin))
        opened = _open(wallet, ui)

        def remove(data: WalletData) -> tuple[WalletData, None]:
            if data.verifier(address) is None:
                raise UsageError(f"{address} is not in the wallet's verifiers", code="verifier.unknown")
            return data.without_verifier(address), None

        opened.update(remove)
        ui.result({"ok": True, "origin": address}, lambda out: out.print(f"{address} forgotten."))


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    app(args=list(argv) if argv is not None else None, prog_name=APP_NAME)


if __name__ == "__main__":  # pragma: no cover
    main()
