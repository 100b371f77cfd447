"""``make demo``: the whole credential loop on this machine, one step at a time.

:func:`run_platform` (``tawtiq demo``) starts the real issuer (https, with its development certificate) and
the real verifier on loopback ports, each on a fresh SQLite database in a fresh data directory, with generated
secrets. The ministry's operator generates a small cohort and creates the records with the ``tawtiq``
commands; one graduate receives the diploma in ``tawtiq-wallet`` from the offer's QR code, presents it to a
university over OpenID4VP, makes a share link; the ministry revokes the diploma; the wallet and the share link
then both show it revoked. Every command is printed as it is run, with its output. The services keep running
(their URLs are printed) until Ctrl-C.

:func:`run_engine` (``tawtiq demo --engine``) walks the same loop through the engine alone, in-process: the
ministry signs a sample diploma in both profiles (W3C ``vc+sd-jwt`` and IETF ``dc+sd-jwt``), the graduate
presents it disclosing only some claims and proving possession of their key, the university verifies it, and
after the ministry sets the diploma's status bit the same presentation no longer verifies.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import segno
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

import schemas
from keys import InMemoryKeyStore, KeyHistoryResolver
from vc import (
    BitOrder,
    ContextRegistry,
    HolderBinding,
    Policy,
    Profile,
    Signer,
    SigningKey,
    StaticStatusResolver,
    StatusList,
    StatusSnapshot,
    TrustList,
    VerificationReport,
    issue,
    issue_bitstring_status_list,
    issue_token_status_list,
    present,
    verify,
    verify_status_list_token,
)
from vc.report import Outcome, Verdict
from vc.statuslist import STATUS_INVALID, STATUS_SUSPENDED

ISSUER = "https://bac.example.ma"
UNIVERSITY = "https://admissions.um5.example.ma"
#: What the university asks to see: no CNIE number, no birth data, no Massar code.
UNIVERSITY_ASKS = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")

_COLOURS = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.NOT_CHECKED: "yellow"}
_VERDICT_STYLE = {Verdict.VALID: "bold green", Verdict.INVALID: "bold red", Verdict.INDETERMINATE: "bold yellow"}


#: Entries per status list (the Bitstring Status List minimum).
LIST_SIZE = 131_072
LISTS = {
    "revocation": f"{ISSUER}/status/bitstring/r1",
    "suspension": f"{ISSUER}/status/bitstring/s1",
    "token": f"{ISSUER}/status/tsl/1",
}


@dataclass
class Ministry:
    """The issuer side of the demo: keys, and the status lists it publishes (one registry, two forms)."""

    now: datetime
    keys: InMemoryKeyStore
    revoked: set[int]
    suspended: set[int]

    def signing_key(self) -> Signer:
        return self.keys.signing_key(at=self.now)

    def publish(self, contexts: ContextRegistry) -> dict[str, str]:
        """Sign every list as the issuer's service publishes it."""
        key = self.signing_key()
        published = {}
        for purpose, indexes in (("revocation", self.revoked), ("suspension", self.suspended)):
            bits = StatusList.from_entries(
                size=LIST_SIZE, bits=1, order=BitOrder.MSB_FIRST, entries=[(i, 1) for i in indexes]
            )
            published[LISTS[purpose]] = issue_bitstring_status_list(
                uri=LISTS[purpose],
                issuer=ISSUER,
                purpose=purpose,
                status_list=bits,
                key=key,
                issued_at=self.now,
                contexts=contexts,
                ttl=timedelta(minutes=5),
            )
        token_values = [(i, STATUS_INVALID) for i in self.revoked] + [(i, STATUS_SUSPENDED) for i in self.suspended]
        token_list = StatusList.from_entries(size=LIST_SIZE, bits=2, order=BitOrder.LSB_FIRST, entries=token_values)
        published[LISTS["token"]] = issue_token_status_list(
            uri=LISTS["token"],
            issuer=ISSUER,
            status_list=token_list,
            key=key,
            issued_at=self.now,
            expires_at=self.now + timedelta(days=1),
            ttl=timedelta(minutes=5),
        )
        return published


def _report_table(report: VerificationReport) -> Table:
    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("check")
    table.add_column("outcome")
    table.add_column("code")
    table.add_column("message", overflow="fold")
    for check in report.checks:
        colour = _COLOURS[check.outcome]
        table.add_row(str(check.name), f"[{colour}]{check.outcome}[/]", check.code, check.message)
    return table


def _claims_table(subject: Mapping[str, Any]) -> Table:
    table = Table(show_header=True, header_style="bold")
    table.add_column("claim")
    table.add_column("العربية", justify="right")
    table.add_column("français")
    table.add_column("value", overflow="fold")
    for name in schemas.SUBJECT_CLAIMS:
        if name not in subject:
            continue
        value = subject[name]
        table.add_row(
            name,
            schemas.claim_label([name], "ar"),
            schemas.claim_label([name], "fr"),
            schemas.display_value(name, value, "fr"),
        )
    return table


def run_engine(console: Console | None = None, *, now: datetime | None = None) -> list[VerificationReport]:
    """Walk the engine's loop in-process and return the reports it printed (the test checks them)."""
    console = console or Console()
    now = now or datetime.now(UTC).replace(microsecond=0)
    contexts = ContextRegistry(schemas.pinned_contexts())

    console.rule("[bold]Tawtiq — توثيق[/]: the credential loop")

    # 1. Keys.
    keys = InMemoryKeyStore()
    keys.create(not_before=now - timedelta(days=1))
    holder = SigningKey.generate()
    ministry = Ministry(now=now, keys=keys, revoked=set(), suspended=set())
    console.print(
        Panel(
            f"Ministry signing key (ES256): kid [bold]{ministry.signing_key().kid}[/]\n"
            f"Graduate's wallet key (ES256): kid [bold]{holder.kid}[/]",
            title="1. Keys",
        )
    )

    # 2. Issue the diploma in both profiles.
    subject = schemas.sample_subject()
    revocation_index, suspension_index = secrets.randbelow(LIST_SIZE), secrets.randbelow(LIST_SIZE)
    credential = schemas.w3c_credential(
        subject,
        issuer=ISSUER,
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        status=[
            schemas.BitstringEntry("revocation", LISTS["revocation"], revocation_index),
            schemas.BitstringEntry("suspension", LISTS["suspension"], suspension_index),
        ],
    )
    w3c_token = issue(
        credential,
        key=ministry.signing_key(),
        issued_at=now,
        profile=Profile.VC_SD_JWT,
        contexts=contexts,
        disclosable=schemas.W3C_DISCLOSABLE,
        holder=holder.public,
    )
    sd_jwt_vc = issue(
        schemas.sd_jwt_vc_claims(subject, issuer=ISSUER, status_index=revocation_index, status_uri=LISTS["token"]),
        key=ministry.signing_key(),
        issued_at=now,
        profile=Profile.DC_SD_JWT,
        disclosable=schemas.SD_JWT_VC_DISCLOSABLE,
        holder=holder.public,
    )
    console.print(
        Panel(
            _claims_table(subject),
            title="2. The ministry issues the diploma",
            subtitle=f"vc+sd-jwt: {len(w3c_token)} characters, {w3c_token.count('~') - 1} disclosures · "
            f"dc+sd-jwt: {len(sd_jwt_vc)} characters",
        )
    )

    # 3. The graduate presents it, disclosing only what the university asks for.
    nonce = secrets.token_urlsafe(16)
    presentations = {
        Profile.VC_SD_JWT: present(
            w3c_token,
            disclose=[("credentialSubject", name) for name in UNIVERSITY_ASKS],
            key=holder,
            audience=UNIVERSITY,
            nonce=nonce,
            now=now,
        ),
        Profile.DC_SD_JWT: present(
            sd_jwt_vc,
            disclose=[(name,) for name in UNIVERSITY_ASKS],
            key=holder,
            audience=UNIVERSITY,
            nonce=nonce,
            now=now,
        ),
    }
    console.print(
        Panel(
            f"The university {UNIVERSITY} asks for: {', '.join(UNIVERSITY_ASKS)}.\n"
            "The CNIE number, birth date, birth place and Massar code stay in the wallet.\n"
            f"The wallet adds a key-binding JWT for audience {UNIVERSITY} and nonce {nonce}.",
            title="3. The graduate presents the diploma",
        )
    )

    # 4. The university verifies both presentations.
    policy = Policy(
        trust=TrustList(
            version="demo-2026-1",
            issuers={ISSUER: frozenset({schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT})},
        ),
        contexts=contexts,
        holder_binding=HolderBinding(required=True, audience=UNIVERSITY, nonce=nonce),
        schemas=schemas.schema_validators(),
    )

    def check_all(step: str, title: str) -> list[VerificationReport]:
        resolver = KeyHistoryResolver({ISSUER: keys.history()})
        snapshots = {
            uri: StatusSnapshot(
                data=verify_status_list_token(token, uri=uri, keys=resolver, algorithms=policy.algorithms, now=now),
                fetched_at=now,
            )
            for uri, token in ministry.publish(contexts).items()
        }
        reports = []
        for profile, presentation in presentations.items():
            report = verify(
                presentation.encode(), keys=resolver, status=StaticStatusResolver(snapshots), policy=policy, now=now
            )
            reports.append(report)
            style = _VERDICT_STYLE[report.verdict]
            console.print(
                Panel(
                    _report_table(report),
                    title=f"{step}. {title} ({profile.value})",
                    subtitle=f"verdict: [{style}]{report.verdict.upper()}[/] · trust list {report.trust_list_version}",
                )
            )
        return reports

    reports = check_all("4", "The university verifies")
    disclosed = reports[0].claims or {}
    console.print(
        Panel(
            _claims_table(disclosed.get("credentialSubject", {})),
            title="What the university sees (vc+sd-jwt)",
        )
    )

    # 5. The ministry revokes the diploma: the status bit is set and the lists re-published.
    ministry.revoked.add(revocation_index)
    console.print(
        Panel(
            f"Revocation bit {revocation_index} set in the W3C Bitstring list and the Token Status List; "
            "both lists re-signed and published.",
            title="5. The ministry revokes the diploma",
        )
    )
    reports += check_all("6", "The same presentation, verified again")
    console.rule("[bold]done[/]")
    return reports


# ================================================================================================ the platform

#: Where the demo's services listen when those ports are free.
PREFERRED_ISSUER_PORT = 8100
PREFERRED_VERIFIER_PORT = 8200
#: The university's request: no CNIE number, no birth data, no Massar code.
DEMO_REQUEST = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")
DEMO_SHARE = ("familyName", "givenName", "mention")
#: How long clients may cache status lists in the demo (production: minutes); the demo waits this long.
DEMO_STATUS_TTL_SECONDS = 2
DEMO_SESSION = "2024-normale"
DEMO_COHORT_SIZE = 5
_STARTUP_SECONDS = 60.0


class DemoError(Exception):
    """The walk-through could not go on (a service did not start, a command failed)."""


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

    @property
    def expected(self) -> bool:
        return (
            self.oid4vp.get("verdict") == "valid"
            and self.share_before.get("verdict") == "valid"
            and self.verify_before.get("verdict") == "valid"
            and self.share_after.get("verdict") == "invalid"
            and self.verify_after.get("verdict") == "invalid"
        )


def _port(preferred: int) -> int:
    """``preferred`` if it is free on 127.0.0.1, else any free port."""
    for candidate in (preferred, 0):
        with socket.socket() as probe:
            # As uvicorn binds: connections of an earlier run in TIME_WAIT do not make the port busy.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise DemoError("no free TCP port on 127.0.0.1")


class _Walk:
    """The running walk-through: its console, directories, environments and child processes."""

    def __init__(self, console: Console, directory: Path) -> None:
        self.console = console
        self.directory = directory
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.issuer_port = _port(PREFERRED_ISSUER_PORT)
        self.verifier_port = _port(PREFERRED_VERIFIER_PORT)
        self.issuer_url = f"https://127.0.0.1:{self.issuer_port}"
        self.verifier_url = f"http://127.0.0.1:{self.verifier_port}"
        self.issuer_dir = directory / "issuer"
        self.verifier_dir = directory / "verifier"
        self.wallet_dir = directory / "wallet"
        self.certificate = self.issuer_dir / "tls" / "cert.pem"
        base = {name: value for name, value in os.environ.items() if not name.startswith("TAWTIQ_")}
        base["COLUMNS"] = str(max(60, console.width - 2))
        base["PYTHONUNBUFFERED"] = "1"
        self.issuer_env = {
            **base,
            "TAWTIQ_ISSUER_URL": self.issuer_url,
            "TAWTIQ_DATA_DIR": str(self.issuer_dir),
            "TAWTIQ_KEY_PASSPHRASE": secrets.token_urlsafe(32),
            "TAWTIQ_STATUS_TTL_SECONDS": str(DEMO_STATUS_TTL_SECONDS),
        }
        self.verifier_env = {
            **base,
            "TAWTIQ_VERIFIER_PUBLIC_URL": self.verifier_url,
            "TAWTIQ_VERIFIER_SECRET_KEY": secrets.token_urlsafe(32),
            "TAWTIQ_VERIFIER_DATABASE_URL": f"sqlite:///{self.verifier_dir / 'verifier.sqlite3'}",
            "TAWTIQ_VERIFIER_TRUST_LIST": str(self.verifier_dir / "trust-list.json"),
            "TAWTIQ_VERIFIER_CA_FILE": str(self.certificate),
            "TAWTIQ_VERIFIER_STATUS_MIN_TTL_SECONDS": "0",
        }
        self.wallet_passphrase_file = directory / "wallet-passphrase"
        self.wallet_env = {
            **base,
            "TAWTIQ_WALLET_DIR": str(self.wallet_dir),
            "TAWTIQ_WALLET_PASSPHRASE_FILE": str(self.wallet_passphrase_file),
            "TAWTIQ_WALLET_CA_FILE": str(self.certificate),
        }

    # -- printing --------------------------------------------------------------------------------

    def step(self, number: int, title: str, explanation: str) -> None:
        self.console.print()
        self.console.rule(f"[bold]{number}. {title}[/]", align="left")
        self.console.print(Text(explanation, style="italic"))

    def _show(self, output: str, style: str = "") -> None:
        text = output.rstrip()
        if text:
            self.console.print(Padding(Text(text, style=style, overflow="fold"), (0, 0, 0, 2)))

    def run(
        self, who: str, env: dict[str, str], *arguments: str, expect: tuple[int, ...] = (0,), quiet: bool = False
    ) -> str:
        """Run ``tawtiq`` or ``tawtiq-wallet`` with ``arguments`` as that person would; return its stdout."""
        program = "tawtiq" if who == "tawtiq" else "tawtiq-wallet"
        module = "tawtiq" if who == "tawtiq" else "wallet_cli"
        shown = " ".join(shlex.quote(part) for part in arguments)
        self.console.print(Text(f"$ {program} {shown}", style="bold cyan"))
        result = subprocess.run(  # noqa: S603 - our own interpreter and modules
            [sys.executable, "-m", module, *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if not quiet:
            self._show(result.stderr, "dim")
            self._show(result.stdout)
        if result.returncode not in expect:
            if quiet:
                self._show(result.stderr, "dim")
            raise DemoError(f"`{program} {arguments[0]}` exited with {result.returncode}")
        return result.stdout

    # -- services --------------------------------------------------------------------------------

    def start(
        self,
        name: str,
        env: dict[str, str],
        *arguments: str,
        base: str,
        health: str,
        verify: Callable[[], ssl.SSLContext] | bool,
    ) -> None:
        """Start ``tawtiq serve …`` in its own session and wait until ``health`` answers 200."""
        log = self.directory / f"{name}.log"
        self.console.print(Text(f"$ tawtiq {' '.join(arguments)}   (log: {log})", style="bold cyan"))
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "tawtiq", *arguments],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the demo, which stops the services in order
            )
        self.processes.append((name, process))
        deadline = time.monotonic() + _STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise DemoError(f"the {name} stopped while starting:\n{_tail(log)}")
            try:
                context: ssl.SSLContext | bool = verify() if callable(verify) else verify
                if httpx.get(health, verify=context, timeout=2).status_code == 200:
                    break
            except (httpx.HTTPError, OSError, ssl.SSLError):
                pass
            if time.monotonic() > deadline:
                raise DemoError(f"the {name} did not become ready in {_STARTUP_SECONDS:.0f} s:\n{_tail(log)}")
            time.sleep(0.1)
        self.console.print(Text(f"  {name} ready at {base}", style="green"))

    def issuer_tls(self) -> ssl.SSLContext:
        if not self.certificate.exists():
            raise OSError("no certificate yet")
        return ssl.create_default_context(cafile=str(self.certificate))

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            self.console.print(Text(f"{name} stopped", style="dim"))
        self.processes.clear()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _verdict_table(result: Mapping[str, Any]) -> Table:
    """The checks of a verifier's answer (its ``report``), each with its outcome and message."""
    table = Table(show_header=True, header_style="bold")
    table.add_column("check")
    table.add_column("outcome")
    table.add_column("code")
    table.add_column("message", overflow="fold")
    for check in result.get("report", {}).get("checks", []) or result.get("checks", []):
        colour = {"passed": "green", "failed": "red"}.get(check["outcome"], "yellow")
        table.add_row(check["check"], f"[{colour}]{check['outcome']}[/]", check["code"], check["message"])
    return table


def _copies_table(report: Mapping[str, Any]) -> Table:
    """The wallet's ``verify --json`` in brief: each copy's verdict and its status check."""
    table = Table(show_header=True, header_style="bold")
    for column in ("copy", "profile", "verdict", "status check"):
        table.add_column(column, overflow="fold")
    for copy in report.get("copies", []):
        status: Mapping[str, Any] = next((check for check in copy["checks"] if check["check"] == "status"), {})
        table.add_row(
            copy["id"],
            copy["profile"],
            _verdict_line("", copy["verdict"]).plain.lstrip(": "),
            f"{status.get('code')}: {status.get('message')}",
        )
    return table


def _verdict_line(label: str, verdict: str) -> Text:
    style = _VERDICT_STYLE.get(Verdict(verdict), "bold") if verdict in set(Verdict) else "bold"
    return Text.assemble(f"{label}: ", (verdict.upper(), style))


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
    walk = _Walk(console, directory)
    # A SIGTERM (a CI timeout, `kill`) stops the services as Ctrl-C does, instead of leaving them running.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        result = _walk_through(walk)
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


def _walk_through(walk: _Walk) -> PlatformResult:
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
        health=f"{walk.verifier_url}/healthz",
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
        segno.make(request["authorization_request"], error="m").terminal(out=code, compact=True)
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
                _verdict_table(answer),
                title="The university's screen",
                subtitle=_verdict_line("verdict", answer.get("verdict", answer["status"])),
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
                Text.assemble(f"{shared['url']} → ", _verdict_line("verdict", share_before["verdict"])), (0, 0, 0, 2)
            )
        )
        verify_before = json.loads(walk.run("wallet", walk.wallet_env, "verify", diploma, "--json", quiet=True))
        console.print(Padding(_copies_table(verify_before), (0, 0, 0, 2)))
        console.print(Padding(_verdict_line("tawtiq-wallet verify", verify_before["verdict"]), (0, 0, 0, 2)))

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
        console.print(Padding(_copies_table(verify_after), (0, 0, 0, 2)))
        console.print(Padding(_verdict_line("tawtiq-wallet verify", verify_after["verdict"]), (0, 0, 0, 2)))
        share_after = http.get(shared["url"], headers={"Accept": "application/json"}).json()
        console.print(
            Panel(
                _verdict_table(share_after),
                title=f"The share link, opened again: {shared['url']}",
                subtitle=_verdict_line("verdict", share_after["verdict"]),
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


def _finale(walk: _Walk, result: PlatformResult, *, wait: bool) -> None:
    console = walk.console
    console.print()
    console.rule("[bold]done[/]")
    outcome = "every verdict was the expected one" if result.expected else "[bold red]an unexpected verdict[/]"
    console.print(f"Valid before the revocation, invalid after it: {outcome}.")
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("verification page", f"{walk.verifier_url}/  ({walk.verifier_url}/?lang=fr)")
    table.add_row("the share link", result.share_url)
    table.add_row("issuer metadata", f"{walk.issuer_url}/.well-known/openid-credential-issuer")
    table.add_row("issuer keys", f"{walk.issuer_url}/.well-known/jwt-vc-issuer")
    table.add_row("development certificate", str(walk.certificate))
    table.add_row(
        "the wallet (while this runs)",
        f"TAWTIQ_WALLET_DIR={walk.wallet_dir} TAWTIQ_WALLET_PASSPHRASE_FILE={walk.wallet_passphrase_file} "
        f"TAWTIQ_WALLET_CA_FILE={walk.certificate} tawtiq-wallet list",
    )
    console.print(table)
    if not wait:
        return
    console.print("[bold]The issuer and the verifier keep running; press Ctrl-C to stop them.[/]")
    try:
        while all(process.poll() is None for _name, process in walk.processes):
            time.sleep(0.5)
        stopped = [name for name, process in walk.processes if process.poll() is not None]
        console.print(f"[bold red]{', '.join(stopped)} stopped unexpectedly[/]")
    except KeyboardInterrupt:
        console.print()
        console.print("Stopping…")
