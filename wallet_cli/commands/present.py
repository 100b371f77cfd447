"""``present``: answer a verifier's OpenID4VP request, showing who asks and for what before anything is disclosed."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.text import Text

import schemas
from common.fetch import same_origin
from vc import present
from wallet_cli import checking, oid4vp, render
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
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.model import DC_SD_JWT, Diploma, WalletData
from wallet_cli.net import origin_of


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
    if request.relying_party is not None:
        lines.append("Requested by ", style="bold")
        lines.append(request.relying_party, style="bold")
        lines.append(f" (authenticated by {request.verifier_origin})\n")
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
    if request.request_uri and not same_origin(request.request_uri, request.response_uri):
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
        chosen_claims = parse_claims(disclose) if disclose is not None else None
        opened = open_wallet(wallet, ui)
        link = input_link(request_link, (oid4vp.SCHEME,), ui)
        with http_client(ca_file) as http:
            request = oid4vp.fetch_request(http, link, now=runtime.now())
            diploma = pick_diploma(opened.data, diploma_id, profile=DC_SD_JWT)
            copy = use_copy(diploma, DC_SD_JWT)
            subject = checking.read_copy(copy.credential).subject
            standing = _describe_request(ui, request, opened.data, diploma, subject)
            verifier_info = {
                "origin": request.verifier_origin,
                "host": request.verifier_host,
                "response_uri": request.response_uri,
                "authenticated": request.authenticated,
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
            presentation = present(
                copy.credential,
                disclose=[(name,) for name in chosen],
                key=copy.signing_key(),
                audience=request.client_id,
                nonce=request.nonce,
                now=runtime.now(),
            )
            ui.status(f"sending to {request.response_uri}")
            oid4vp.respond(http, request, presentation)
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
            },
            lambda out: out.print(
                f"Sent {len(chosen)} claim(s) to {request.verifier_host}: {', '.join(chosen) or '(none)'}. "
                "The verifier shows the result on its screen."
            ),
        )
