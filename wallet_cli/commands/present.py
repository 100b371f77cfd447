"""``present``: answer a verifier's OpenID4VP request, showing who asks and for what before anything is disclosed,
then what the verifier concluded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.text import Text

import schemas
from common.fetch import same_origin
from vc import present
from wallet_cli import checking, oid4vp, registrars, render
from wallet_cli.commands import runtime
from wallet_cli.commands.runtime import (
    CaFileOption,
    DiplomaOption,
    JsonOption,
    LangOption,
    Ui,
    WalletOption,
    YesOption,
    http_client,
    input_link,
    open_wallet,
    shell,
)
from wallet_cli.commands.selection import count_use, parse_claims, pick_diploma, private_warning, use_copy
from wallet_cli.errors import UsageError
from wallet_cli.model import DC_SD_JWT, Diploma, WalletData
from wallet_cli.net import origin_of

TrustAnchorsOption = Annotated[
    Path | None,
    typer.Option(
        "--trust-anchors",
        envvar="TAWTIQ_WALLET_TRUST_ANCHORS",
        help="Registrars' CA certificates (PEM) to trust for verifiers' certificates, besides those shipped.",
    ),
]


def _describe_request(
    ui: Ui,
    request: oid4vp.PresentationRequest,
    data: WalletData,
    diploma: Diploma,
    subject: dict[str, Any],
    selection: Any,
) -> str:
    met = data.verifier(request.verifier_origin)
    standing = (
        "known"
        if met is not None and met.known
        else "certified"
        if request.certified is not None
        else "seen"
        if met is not None and met.presentations
        else "unknown"
    )
    lines = Text()
    lines.append("Who is asking: ", style="bold")
    if request.certified is not None:
        lines.append(request.certified.name, style="bold green")
        lines.append(f" — certified by {request.certified.registrar}", style="green")
        lines.append(f" ({request.verifier_host})")
    else:
        lines.append(request.verifier_host, style="bold")
    lines.append(f"\nYour answer would go to {request.response_uri}\n")
    if request.relying_party is not None:
        lines.append("Requested by ", style="bold")
        lines.append(request.relying_party, style="bold")
        vouched = request.certified.name if request.certified is not None else request.verifier_origin
        lines.append(f" (authenticated by {vouched})\n")
    if request.certified is None:
        lines.append(
            "Not authenticated: the verifier identifies itself only by this web address (client_id prefix "
            "redirect_uri:); nothing proves who runs it. Check the address is the one of the university or employer "
            "you expect.\n",
            style="yellow",
        )
    if request.response_uri.startswith("http://"):
        lines.append("Plain http (this machine only, for development).\n", style="yellow")
    certified = request.certified
    if standing == "certified" and certified is not None:
        lines.append(
            f"Authenticated: a registrar this wallet trusts ({certified.registrar}) certifies this verifier "
            f"as {certified.name} ({certified.prefix}).\n",
            style="green",
        )
    elif standing == "known":
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
    if request.request_uri and not same_origin(request.request_uri, request.response_uri):
        lines.append(f"The request itself came from another site: {origin_of(request.request_uri)}.\n", style="yellow")
    ui.err.print(Panel(lines, title="Presentation request", border_style="cyan"))
    if selection.claims:
        ui.err.print(f"It asks for {len(selection.claims)} claim(s) of your diploma {diploma.id}:")
        ui.err.print(render.claims_table(subject, lang=ui.lang, labels=diploma.claim_labels, only=selection.claims))
    else:
        ui.err.print("It asks for no claim of your diploma (only that you hold one).")
    if selection.nested_paths:
        ui.warn(
            f"it asks for parts of claims ({', '.join(selection.nested_paths)}); the whole claims would be disclosed"
        )
    if selection.left_out:
        ui.err.print(f"It would also like {', '.join(selection.left_out)} (optional): not sent.")
    return standing


def _verdict_line(answer: oid4vp.VerifierAnswer, host: str) -> str:
    """What the holder learns of the verifier's conclusion, said plainly."""
    if answer.outcome is not None:
        verdict = str(answer.outcome.get("verdict"))
        problems = answer.outcome.get("problemDetails")
        reason = ""
        if isinstance(problems, list) and problems and isinstance(problems[0], Mapping):
            reason = f": {problems[0].get('detail') or problems[0].get('title') or ''}".rstrip(": ")
        return f"The verifier's verdict: {verdict}{reason}."
    if answer.redirect_uri is not None:
        return f"The verifier shows its result at {answer.redirect_uri} (open it in a browser)."
    return f"{host} did not say what it concluded; this wallet cannot know the verdict (its screen may show it)."


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
    diploma_id: DiplomaOption = None,
    yes: YesOption = False,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    trust_anchors: TrustAnchorsOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Answer a verifier's request (OpenID4VP).

    See who asks and for what (a verifier certified by a registrar is shown by its certified name; one you do not
    know, without a certificate, is marked UNKNOWN), choose what to disclose, send it, and read the verdict.
    Without --disclose or --all-requested the wallet asks claim by claim. Disclosing the CNIE number, birth
    date, birth place or Massar code needs an explicit confirmation (or --yes, which still prints the warning).
    """
    with shell(as_json, lang) as ui:
        if sum([disclose is not None, all_requested, decline]) > 1:
            raise UsageError("give only one of --disclose, --all-requested and --decline", code="usage.conflict")
        chosen_claims = parse_claims(disclose) if disclose is not None else None
        anchors = registrars.trust_anchors(trust_anchors)
        opened = open_wallet(wallet, ui)
        link = input_link(request_link, (oid4vp.SCHEME,), ui)
        with http_client(ca_file) as http:
            request = oid4vp.fetch_request(http, link, now=runtime.now(), anchors=anchors)
            diploma = pick_diploma(opened.data, diploma_id, profile=DC_SD_JWT)
            copy = use_copy(diploma, DC_SD_JWT)
            subject = checking.read_copy(copy.credential).subject
            selection = request.selection(available=set(subject))
            standing = _describe_request(ui, request, opened.data, diploma, subject, selection)
            verifier_info = {
                "origin": request.verifier_origin,
                "host": request.verifier_host,
                "response_uri": request.response_uri,
                "client_id": request.client_id,
                "authenticated": request.authenticated,
                "certified_name": request.certified.name if request.certified else None,
                "certified_by": request.certified.registrar if request.certified else None,
                "relying_party": request.relying_party,
                "standing": standing,
            }
            if decline:
                oid4vp.decline(http, request)
                ui.result(
                    {"ok": True, "answer": "declined", "verifier": verifier_info, "disclosed": []},
                    lambda out: out.print(f"Declined: {request.verifier_host} was told you do not share your diploma."),
                )
                return
            requested = selection.claims
            if chosen_claims is not None:
                extra = [name for name in chosen_claims if name not in requested]
                if extra:
                    raise UsageError(
                        f"--disclose names claims the verifier did not ask for: {', '.join(extra)}",
                        code="disclose.not_requested",
                        expected=f"some of {', '.join(requested) or '(none)'}",
                        hint="The wallet discloses only what was asked for.",
                    )
                chosen = list(chosen_claims)
            elif all_requested:
                chosen = list(requested)
            else:
                chosen = [
                    name
                    for name in requested
                    if typer.confirm(
                        f"Disclose {name} ({render.label(name, ui.lang or 'fr', diploma.claim_labels)})?",
                        default=name not in schemas.PRIVATE_CLAIMS,
                        err=True,
                    )
                ]
            withheld = [name for name in requested if name not in chosen]
            if withheld:
                ui.warn(
                    f"not disclosing {', '.join(withheld)}: "
                    "the verifier asked for them and will likely refuse without them"
                )
            private = private_warning(ui, chosen, diploma.claim_labels)
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
            presentations = {
                query.id: present(
                    copy.credential,
                    disclose=[(name,) for name in chosen if name in query.claims],
                    key=copy.signing_key(),
                    audience=request.client_id,
                    nonce=request.nonce,
                    now=runtime.now(),
                )
                for query in selection.queries
            }
            ui.status(f"sending to {request.response_uri}")
            answer = oid4vp.respond(http, request, presentations)
        moment = runtime.now()
        opened.update(lambda data: (count_use(data, diploma.id, copy.id, request.verifier_origin, moment), None))
        ui.result(
            {
                "ok": True,
                "answer": "sent",
                "verifier": verifier_info,
                "diploma": diploma.id,
                "copy": copy.id,
                "disclosed": chosen,
                "queries": [query.id for query in selection.queries],
                "redirect_uri": answer.redirect_uri,
                "verdict": answer.outcome.get("verdict") if answer.outcome is not None else None,
                "outcome": dict(answer.outcome) if answer.outcome is not None else None,
            },
            lambda out: out.print(
                f"Sent {len(chosen)} claim(s) to {request.verifier_host}: {', '.join(chosen) or '(none)'}. "
                + _verdict_line(answer, request.verifier_host)
            ),
        )
