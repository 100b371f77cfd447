"""``tawtiq demo`` (``make demo``): the whole credential loop on this machine, one step at a time.

:func:`run_platform` starts the real issuer (https, with its development certificate) and the real verifier on
loopback ports, each on a fresh SQLite database in a fresh data directory, with generated secrets. The ministry's
operator generates a small cohort and creates the records with the ``tawtiq`` commands; one graduate receives the
diploma in ``tawtiq-wallet`` from the offer's QR code, presents it to a university over OpenID4VP, makes a share
link; the ministry revokes the diploma; the wallet and the share link then both show it revoked. Every command is
printed as it is run, with its output. The services keep running (their URLs are printed) until Ctrl-C.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

import schemas
from common.qr import qr_terminal
from tawtiq.demo.display import copies_table, verdict_line, verdict_table
from tawtiq.demo.exam_year import ExamYearResult, walk_exam_year
from tawtiq.demo.walk import DEMO_STATUS_TTL_SECONDS, DemoError, Walk

#: The university's request: no CNIE number, no birth data, no Massar code.
DEMO_REQUEST = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")
DEMO_SHARE = ("familyName", "givenName", "mention")
DEMO_SESSION = "2024-normale"
DEMO_COHORT_SIZE = 5


@dataclass
class PlatformResult:
    """What the walk-through saw; ``expected`` says whether every verdict was the right one."""

    oid4vp: dict[str, Any]
    share_before: dict[str, Any]
    verify_before: dict[str, Any]
    share_after: dict[str, Any]
    verify_after: dict[str, Any]
    disclosed: tuple[str, ...]
    issuer_url: str
    verifier_url: str
    share_url: str
    exam_year: ExamYearResult | None = None

    @property
    def expected(self) -> bool:
        """Every verdict of the credential loop and every page of the exam year were the expected ones."""
        return self.verdicts_expected and (self.exam_year is None or self.exam_year.expected)

    @property
    def verdicts_expected(self) -> bool:
        return (
            self.oid4vp.get("verdict") == "valid"
            and self.share_before.get("verdict") == "valid"
            and self.verify_before.get("verdict") == "valid"
            and self.share_after.get("verdict") == "invalid"
            and self.verify_after.get("verdict") == "invalid"
        )


def run_platform(
    console: Console | None = None,
    *,
    directory: Path | None = None,
    wait: bool = True,
) -> PlatformResult:
    """The platform walk-through (see the module docstring). ``directory`` must be absent or empty; by default
    a temporary directory is used and removed at the end. With ``wait`` the services keep running until Ctrl-C.

    Raises :class:`DemoError` when a service does not start or a command fails.
    """
    console = console or Console()
    temporary = directory is None
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="tawtiq-demo-"))
    elif directory.exists() and any(directory.iterdir()):
        raise DemoError(f"{directory} is not empty; the demo needs a fresh data directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    walk = Walk(console, directory)
    # A SIGTERM (a CI timeout, `kill`) stops the services as Ctrl-C does, instead of leaving them running.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        result = _walk_through(walk)
        result.exam_year = walk_exam_year(walk, first_step=9)
        _finale(walk, result, wait=wait)
        return result
    finally:
        walk.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _walk_through(walk: Walk) -> PlatformResult:
    console = walk.console
    console.rule("[bold]Tawtiq — توثيق[/]: the credential loop, for real, on this machine")
    console.print(
        f"Data directory: {walk.directory} (fresh SQLite databases, keys and a wallet; secrets generated for this run)"
    )

    walk.step(
        1,
        "The ministry sets up its issuer",
        "Migrate the database, create a signing key (encrypted with a generated passphrase), and load a small "
        "synthetic cohort whose diploma records are then created.",
    )
    walk.issuer_dir.mkdir(parents=True)
    cohort = walk.issuer_dir / "cohort.csv"
    walk.run("tawtiq", walk.issuer_env, "db", "upgrade")
    walk.run("tawtiq", walk.issuer_env, "keys", "create")
    walk.run(
        "tawtiq",
        walk.issuer_env,
        "cohort",
        "generate",
        "--count",
        str(DEMO_COHORT_SIZE),
        "--seed",
        "2024",
        "--out",
        str(cohort),
    )
    walk.run("tawtiq", walk.issuer_env, "cohort", "import", str(cohort), "--session", DEMO_SESSION)
    walk.run("tawtiq", walk.issuer_env, "cohort", "issue", "--session", DEMO_SESSION)

    walk.step(
        2,
        "The issuer and the verifier start",
        "The issuer serves https with a development certificate (SD-JWT VC status lists must be https); the "
        "verifier trusts that issuer through a trust list, and its certificate. Status lists may be cached "
        f"{DEMO_STATUS_TTL_SECONDS} s here (minutes in production) so that the revocation shows at once.",
    )
    walk.start(
        "issuer",
        walk.issuer_env,
        "serve",
        "issuer",
        "--port",
        str(walk.issuer_port),
        "--self-signed",
        base=walk.issuer_url,
        health=f"{walk.issuer_url}/health/ready",
        verify=walk.issuer_tls,
    )
    walk.verifier_dir.mkdir(parents=True)
    (walk.verifier_dir / "trust-list.json").write_text(
        json.dumps(
            {
                "version": "demo-1",
                "issuers": [
                    {
                        "id": walk.issuer_url,
                        "name": {
                            "ar": "وزارة التربية الوطنية والتعليم الأولي والرياضة",
                            "fr": "Ministère de l'Éducation Nationale, du Préscolaire et des Sports",
                            "en": "Ministry of National Education, Preschool and Sports",
                        },
                        "credential_types": [schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT],
                    }
                ],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    walk.start(
        "verifier",
        walk.verifier_env,
        "serve",
        "verifier",
        "--port",
        str(walk.verifier_port),
        base=walk.verifier_url,
        health=f"{walk.verifier_url}/health/ready",
        verify=False,
    )

    with cohort.open(encoding="utf-8", newline="") as handle:
        graduate = next(csv.DictReader(handle))
    latin, arabic = (f"{graduate[f'givenName.{s}']} {graduate[f'familyName.{s}']}" for s in ("lat", "ar"))
    name = f"{latin} ({arabic})"

    walk.step(
        3,
        "The ministry makes an offer for one graduate",
        f"{name}, {graduate['stream.fr']}, mention {graduate['mention']}. The offer is a QR code; the "
        "transaction code (PIN) reaches the graduate separately (e.g. by SMS).",
    )
    offer_png = walk.directory / "offer.png"
    offer = json.loads(
        walk.run("tawtiq", walk.issuer_env, "diploma", "offer", graduate["cnie"], "--json", "--png", str(offer_png))
    )

    walk.step(
        4,
        "The graduate receives the diploma in the wallet",
        "A new encrypted wallet; `receive` reads the offer from the QR code picture, asks for the PIN, proves a "
        "fresh key per copy, and verifies every copy (signature against the issuer's published keys, binding to "
        "the wallet's key, current status) before keeping it.",
    )
    walk.wallet_passphrase_file.write_text(secrets.token_urlsafe(24))
    walk.wallet_passphrase_file.chmod(0o600)
    walk.run("wallet", walk.wallet_env, "init")
    received = json.loads(
        walk.run(
            "wallet", walk.wallet_env, "receive", str(offer_png), "--tx-code", offer["tx_code"], "--json", quiet=True
        )
    )
    diploma = received["diploma"]
    console.print(
        Padding(
            f"Kept as diploma {diploma}: {len(received['new_copies'])} copies "
            f"({', '.join(copy['profile'] for copy in received['new_copies'])}), every check passed.",
            (0, 0, 0, 2),
        )
    )
    walk.run("wallet", walk.wallet_env, "show", diploma)

    walk.step(
        5,
        "A university asks for the diploma (OpenID4VP)",
        f"The admissions page of the verifier asks for {', '.join(DEMO_REQUEST)} and shows a QR code; the "
        "graduate's wallet reads it, shows who asks and for what, and answers with only those claims.",
    )
    with httpx.Client(timeout=20) as http:
        created = http.post(f"{walk.verifier_url}/oid4vp/requests", json={"claims": list(DEMO_REQUEST)})
        if created.status_code != 201:
            raise DemoError(f"the verifier refused to create a request: {created.status_code} {created.text[:200]}")
        request = created.json()
        code = io.StringIO()
        qr_terminal(request["authorization_request"], code)
        console.print(Padding(Text(code.getvalue()), (0, 0, 0, 2)))
        console.print(Text(request["authorization_request"], style="dim"), soft_wrap=True)
        walk.run(
            "wallet", walk.wallet_env, "present", request["authorization_request"], "--disclose", ",".join(DEMO_REQUEST)
        )
        answer = _wait_for_answer(http, f"{walk.verifier_url}/oid4vp/requests/{request['id']}")
        received_claims = answer.get("report", {}).get("claims", {})
        disclosed = tuple(name for name in schemas.SUBJECT_CLAIMS if name in received_claims)
        console.print(
            Panel(
                verdict_table(answer),
                title="The university's screen",
                subtitle=verdict_line("verdict", answer.get("verdict", answer["status"])),
            )
        )
        console.print(Padding(f"Claims the university received: {', '.join(disclosed)}", (0, 0, 0, 2)))

        walk.step(
            6,
            "The graduate makes a share link",
            "For an employer who will look later: a link (and QR code) that verifies live every time it is opened.",
        )
        share_output = walk.run(
            "wallet",
            walk.wallet_env,
            "share",
            "--verifier",
            walk.verifier_url,
            "--disclose",
            ",".join(DEMO_SHARE),
            "--expires",
            "7d",
        )
        share_url = next(
            (line.strip() for line in share_output.splitlines() if line.startswith(f"{walk.verifier_url}/s/")), None
        )
        if share_url is None:
            raise DemoError("the wallet printed no share link")
        shared = {"url": share_url}
        share_before = http.get(shared["url"], headers={"Accept": "application/json"}).json()
        console.print(
            Padding(
                Text.assemble(f"{shared['url']} → ", verdict_line("verdict", share_before["verdict"])), (0, 0, 0, 2)
            )
        )
        verify_before = json.loads(walk.run("wallet", walk.wallet_env, "verify", diploma, "--json", quiet=True))
        console.print(Padding(copies_table(verify_before), (0, 0, 0, 2)))
        console.print(Padding(verdict_line("tawtiq-wallet verify", verify_before["verdict"]), (0, 0, 0, 2)))

        walk.step(
            7,
            "The ministry revokes the diploma",
            "Revoking the record revokes every signed copy: their bits are set in the status lists it publishes.",
        )
        walk.run(
            "tawtiq",
            walk.issuer_env,
            "diploma",
            "revoke",
            graduate["cnie"],
            "--reason",
            "demo: diploma obtained by fraud",
            "--yes",
        )
        time.sleep(DEMO_STATUS_TTL_SECONDS + 0.5)

        walk.step(
            8,
            "Verification again",
            "The wallet re-checks the signature and the CURRENT status; the share link is verified live again.",
        )
        verify_after = json.loads(
            walk.run("wallet", walk.wallet_env, "verify", diploma, "--json", expect=(1,), quiet=True)
        )
        console.print(Padding(copies_table(verify_after), (0, 0, 0, 2)))
        console.print(Padding(verdict_line("tawtiq-wallet verify", verify_after["verdict"]), (0, 0, 0, 2)))
        share_after = http.get(shared["url"], headers={"Accept": "application/json"}).json()
        console.print(
            Panel(
                verdict_table(share_after),
                title=f"The share link, opened again: {shared['url']}",
                subtitle=verdict_line("verdict", share_after["verdict"]),
            )
        )
    return PlatformResult(
        oid4vp=answer,
        share_before=share_before,
        verify_before=verify_before,
        share_after=share_after,
        verify_after=verify_after,
        disclosed=disclosed,
        issuer_url=walk.issuer_url,
        verifier_url=walk.verifier_url,
        share_url=shared["url"],
    )


def _wait_for_answer(http: httpx.Client, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        answer: dict[str, Any] = http.get(url).json()
        if answer.get("status") not in ("pending", "retrieved", "verifying"):
            return answer
        if time.monotonic() > deadline:
            raise DemoError("the verifier did not record the wallet's answer")
        time.sleep(0.1)


def _finale(walk: Walk, result: PlatformResult, *, wait: bool) -> None:
    console = walk.console
    console.print()
    console.rule("[bold]done[/]")
    outcome = "every verdict was the expected one" if result.verdicts_expected else "[bold red]an unexpected verdict[/]"
    console.print(f"Valid before the revocation, invalid after it: {outcome}.")
    if result.exam_year is not None:
        year = result.exam_year
        seen = "the expected pages" if year.expected else "[bold red]an unexpected page[/]"
        console.print(
            f"The candidate confirmed their data, got the convocation and read the result ({year.decision}) at the "
            f"announced second: {seen}."
        )
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("verification page", f"{walk.verifier_url}/  ({walk.verifier_url}/?lang=fr)")
    table.add_row("the share link", result.share_url)
    table.add_row("issuer metadata", f"{walk.issuer_url}/.well-known/openid-credential-issuer")
    table.add_row("issuer keys", f"{walk.issuer_url}/.well-known/jwt-vc-issuer")
    table.add_row("development certificate", str(walk.certificate))
    if result.exam_year is not None:
        table.add_row("candidate portal", f"{result.exam_year.portal_url}/  ({result.exam_year.portal_url}/?lang=fr)")
        table.add_row("development eID", f"{result.exam_year.eid_url}/.well-known/openid-configuration")
        table.add_row("candidates' PINs", str(walk.directory / "exam" / "identities.json"))
    table.add_row(
        "the wallet (while this runs)",
        f"TAWTIQ_WALLET_DIR={walk.wallet_dir} TAWTIQ_WALLET_PASSPHRASE_FILE={walk.wallet_passphrase_file} "
        f"TAWTIQ_WALLET_CA_FILE={walk.certificate} tawtiq-wallet list",
    )
    console.print(table)
    if not wait:
        return
    console.print("[bold]The services keep running; press Ctrl-C to stop them.[/]")
    try:
        while all(process.poll() is None for _name, process in walk.processes):
            time.sleep(0.5)
        stopped = [name for name, process in walk.processes if process.poll() is not None]
        console.print(f"[bold red]{', '.join(stopped)} stopped unexpectedly[/]")
    except KeyboardInterrupt:
        console.print()
        console.print("Stopping…")
