"""``tawtiq demo --after-results``: a complaint about a mark carried to the diploma in the wallet, for real.

:func:`run_after_results` starts the real issuer (https), the development eID and the candidate portal on loopback
ports, on one fresh SQLite database with generated secrets. The ministry runs an exam year with the ``tawtiq exam``
commands (candidates, marks, deliberation: the admitted's records are created); one graduate receives the diploma in
``tawtiq-wallet``. Results are published; the graduate logs in to the portal with the eID and files a complaint (a
mark transcribed wrongly); the academy's reviewer logs in, starts the review and upholds it with the corrected mark
after the confirmation page. The mention changes; the wallet's copy then verifies as revoked (the record says
"corrected after complaint") and the corrected diploma, taken from the portal's new offer, as valid. Then the
graduate applies for the post-baccalaureate scholarship and the province's officer grants it
(:func:`tawtiq.demo.scholarship.scholarship_steps`).

The browsers are driven over HTTP as a person's would be (the eID's login form, the portal's forms with their CSRF
tokens); the subject and the corrected mark are chosen from the generated marks with the exam's own rules so that
the mention changes.
"""

from __future__ import annotations

import csv
import html
import json
import re
import secrets
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin

import httpx
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from tawtiq.demo.display import copies_table, verdict_line
from tawtiq.demo.scholarship import Person, ScholarshipOutcome, scholarship_steps
from tawtiq.demo.walk import DEMO_STATUS_TTL_SECONDS, DemoError, Walk

SESSION: Final = "2025-normale"
COHORT_SIZE: Final = 12
PORTAL_PORT: Final = 8400
EID_PORT: Final = 8300


@dataclass(frozen=True)
class Correction:
    """The complaint the demo files: whose, which subject, the mark on record and the right one, the mentions."""

    index: int
    subject: str
    exam: str
    original: Decimal
    corrected: Decimal
    mention_before: str
    mention_after: str


@dataclass
class AfterResultsResult:
    """What the walk-through saw; ``expected`` says whether every outcome was the right one."""

    correction: Correction
    mention_before: str
    mention_after: str
    decision_outcome: str
    old_copy: dict[str, Any]
    new_copy: dict[str, Any]
    record_text: str
    portal_url: str
    scholarship: ScholarshipOutcome

    @property
    def expected(self) -> bool:
        return (
            self.mention_before != self.mention_after
            and self.decision_outcome == "superseded"
            and self.old_copy.get("verdict") == "invalid"
            and self.new_copy.get("verdict") == "valid"
            and "corrected after complaint" in self.record_text
            and self.scholarship.expected
        )


def choose_correction(candidates: Path, marks: Path) -> Correction:
    """An admitted candidate and a regional or national mark whose correction (the smallest, in quarter points)
    changes the mention, by the exam's rules. Raises :class:`DemoError` when the cohort has none."""
    from exams.rules import ADMITTED, deliberate
    from exams.subjects import load_rules

    rules = load_rules()
    with candidates.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    own: dict[str, dict[tuple[str, str], Decimal]] = {}
    with marks.open(encoding="utf-8", newline="") as handle:
        for line in csv.DictReader(handle):
            own.setdefault(line["cnie"], {})[(line["exam"], line["subject"])] = Decimal(line["mark"])
    for index, row in enumerate(rows):
        stream = rules.stream(row["stream.code"])
        weights = rules.weights[row["candidateType"]]
        marks_of = own.get(row["cnie"], {})
        before = deliberate(stream, weights=weights, continuous_code=rules.continuous_code, marks=marks_of)
        if before.decision != ADMITTED:
            continue
        for rule in stream.subjects:
            key = (str(rule.exam), rule.code)
            if rule.exam not in ("regional", "national") or key not in marks_of:
                continue
            corrected = marks_of[key] + Decimal("0.25")
            while corrected <= 20:
                changed = {**marks_of, key: corrected}
                after = deliberate(stream, weights=weights, continuous_code=rules.continuous_code, marks=changed)
                if after.mention != before.mention:
                    return Correction(
                        index, rule.code, key[0], marks_of[key], corrected, str(before.mention), str(after.mention)
                    )
                corrected += Decimal("0.25")
    raise DemoError("no admitted candidate of the generated cohort has a mark whose correction changes the mention")


class PortalBrowser:
    """A person's browser on the portal, over HTTP: cookies kept, each redirect followed by hand, the eID's login
    form filled with the card number and PIN."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(timeout=30, headers={"Accept": "text/html"})

    def close(self) -> None:
        self.http.close()

    def log_in(self, cnie: str, pin: str, *, path: str) -> None:
        answer = self.http.get(f"{self.base}/login", params={"next": path, "lang": "fr"})
        authorize = self._redirect(answer, "the portal's login")
        page = self.http.get(authorize)
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
        answer = self.http.post(urljoin(authorize, "/authorize"), data={**fields, "cnie": cnie, "pin": pin})
        callback = self._redirect(answer, "the eID's login")
        self._redirect(self.http.get(callback), "the portal's callback")

    def get(self, path: str) -> str:
        answer = self.http.get(f"{self.base}{path}")
        if answer.status_code != 200:
            raise DemoError(f"GET {path}: {answer.status_code} {_code(answer.text)}")
        return answer.text

    def post(self, path: str, fields: dict[str, str], *, form_page: str) -> httpx.Response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get(form_page))
        if token is None:
            raise DemoError(f"{form_page} has no form")
        answer = self.http.post(f"{self.base}{path}", data={"csrf_token": token.group(1), "lang": "fr", **fields})
        if answer.status_code not in (200, 303):
            raise DemoError(f"POST {path}: {answer.status_code} {_code(answer.text)}")
        return answer

    @staticmethod
    def _redirect(answer: httpx.Response, what: str) -> str:
        if answer.status_code != 303:
            raise DemoError(f"{what} answered {answer.status_code} {_code(answer.text)}")
        return str(answer.headers["location"])


def _code(page: str) -> str:
    found = re.search(r'data-code="([^"]+)"', page)
    return found.group(1) if found else page[:200]


def _text(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:dd|strong|p|span|h2)>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def run_after_results(
    console: Console | None = None,
    *,
    directory: Path | None = None,
    wait: bool = True,
    preferred_ports: bool = True,
) -> AfterResultsResult:
    """The walk-through (see the module docstring); ``directory`` as :func:`tawtiq.demo.run_platform`'s;
    ``preferred_ports`` as :class:`~tawtiq.demo.walk.Walk`'s.

    Raises :class:`DemoError` when a service does not start or a command or page fails.
    """
    console = console or Console()
    temporary = directory is None
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="tawtiq-demo-"))
    elif directory.exists() and any(directory.iterdir()):
        raise DemoError(f"{directory} is not empty; the demo needs a fresh data directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    walk = Walk(console, directory, preferred_ports=preferred_ports)
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


def _walk_through(walk: Walk) -> AfterResultsResult:
    console = walk.console
    console.rule("[bold]Tawtiq — توثيق[/]: after the results, a complaint corrects the diploma in the wallet")
    console.print(f"Data directory: {walk.directory} (a fresh SQLite database, keys and a wallet; generated secrets)")
    portal_port, eid_port = walk.port(PORTAL_PORT), walk.port(EID_PORT)
    portal_url, eid_url = f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{eid_port}"
    issuer = walk.issuer_env
    database = f"sqlite:///{walk.issuer_dir / 'issuer.sqlite3'}"

    walk.step(
        1,
        "The ministry runs the exam year",
        "Its database and signing key; a synthetic session's candidates and marks; the deliberation, which creates "
        "the admitted's diploma records.",
    )
    walk.issuer_dir.mkdir(parents=True)
    candidates, marks = walk.issuer_dir / "candidates.csv", walk.issuer_dir / "marks.csv"
    walk.run("tawtiq", issuer, "db", "upgrade")
    walk.run("tawtiq", issuer, "exam", "db-upgrade")
    walk.run("tawtiq", issuer, "keys", "create")
    walk.run("tawtiq", issuer, "exam", "candidates", "generate", "--count", str(COHORT_SIZE), "--out", str(candidates))
    walk.run("tawtiq", issuer, "exam", "candidates", "import", str(candidates), "--session", SESSION)
    walk.run("tawtiq", issuer, "exam", "marks", "generate", "--session", SESSION, "--out", str(marks))
    walk.run("tawtiq", issuer, "exam", "marks", "import", str(marks), "--session", SESSION)
    walk.run("tawtiq", issuer, "exam", "deliberate", "--session", SESSION)
    correction = choose_correction(candidates, marks)
    with candidates.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    graduate = rows[correction.index]
    reviewer = rows[(correction.index + 1) % len(rows)]
    officer_row = rows[(correction.index + 2) % len(rows)]

    walk.step(
        2,
        "The issuer, the development eID and the candidate portal start",
        "The portal logs people in with the eID (a development stand-in: each card has a PIN) and writes to the "
        "ministry's database with the issuer's settings.",
    )
    walk.start(
        "issuer",
        issuer,
        "serve",
        "issuer",
        "--port",
        str(walk.issuer_port),
        "--self-signed",
        base=walk.issuer_url,
        health=f"{walk.issuer_url}/health/ready",
        verify=walk.issuer_tls,
    )
    eid_dir = walk.directory / "eid"
    eid_dir.mkdir()
    identities, clients = eid_dir / "identities.json", eid_dir / "clients.json"
    walk.run("tawtiq", issuer, "eid", "identities", "--from", str(candidates), "--out", str(identities))
    client = json.loads(
        walk.run(
            "tawtiq",
            issuer,
            "eid",
            "client",
            "add",
            "--client-id",
            "portal",
            "--redirect-uri",
            f"{portal_url}/login/callback",
            "--out",
            str(clients),
            quiet=True,
        )
    )
    pins = {entry["cnie"]: entry["pin"] for entry in json.loads(identities.read_text(encoding="utf-8"))}
    eid_env = {**walk.base_env, "TAWTIQ_EID_PUBLIC_URL": eid_url, "TAWTIQ_EID_DATA_DIR": str(eid_dir / "data")}
    walk.start(
        "eid",
        eid_env,
        "serve",
        "eid",
        "--port",
        str(eid_port),
        "--identities",
        str(identities),
        "--clients",
        str(clients),
        "--development",
        base=eid_url,
        health=f"{eid_url}/.well-known/openid-configuration",
        verify=False,
    )
    portal_dir = walk.directory / "portal"
    portal_dir.mkdir(mode=0o700)
    (portal_dir / "client-secret").write_text(client["client_secret"], encoding="utf-8")
    (portal_dir / "audit-passphrase").write_text(issuer["TAWTIQ_KEY_PASSPHRASE"], encoding="utf-8")
    for secret in portal_dir.iterdir():
        secret.chmod(0o600)
    portal_env = {
        **issuer,
        "TAWTIQ_PORTAL_PUBLIC_URL": portal_url,
        "TAWTIQ_PORTAL_DATABASE_URL": database,
        "TAWTIQ_PORTAL_EID_DISCOVERY_URL": f"{eid_url}/.well-known/openid-configuration",
        "TAWTIQ_PORTAL_EID_CLIENT_SECRET_FILE": str(portal_dir / "client-secret"),
        "TAWTIQ_PORTAL_AUDIT_PASSPHRASE_FILE": str(portal_dir / "audit-passphrase"),
        "TAWTIQ_PORTAL_SECRET_KEY": secrets.token_urlsafe(32),
        "TAWTIQ_PORTAL_EXAM_SESSION": SESSION,
    }
    walk.run(
        "tawtiq",
        portal_env,
        "portal",
        "staff",
        "add",
        "--cnie",
        reviewer["cnie"],
        "--role",
        "academy-reviewer",
        "--academy",
        graduate["academy.code"],
    )
    walk.start(
        "portal",
        portal_env,
        "serve",
        "portal",
        "--port",
        str(portal_port),
        base=portal_url,
        health=f"{portal_url}/health/ready",
        verify=False,
    )

    name = f"{graduate['givenName.lat']} {graduate['familyName.lat']} ({graduate['familyName.ar']})"
    walk.step(
        3,
        "The graduate receives the diploma in the wallet",
        f"{name}: admitted, mention {correction.mention_before}. The ministry's offer (QR code and PIN) goes to a "
        "new wallet, which verifies every copy before keeping it.",
    )
    offer_png = walk.directory / "offer.png"
    offer = json.loads(
        walk.run("tawtiq", issuer, "diploma", "offer", graduate["cnie"], "--json", "--png", str(offer_png), quiet=True)
    )
    walk.wallet_passphrase_file.write_text(secrets.token_urlsafe(24))
    walk.wallet_passphrase_file.chmod(0o600)
    walk.run("wallet", walk.wallet_env, "init")
    first = json.loads(
        walk.run(
            "wallet", walk.wallet_env, "receive", str(offer_png), "--tx-code", offer["tx_code"], "--json", quiet=True
        )
    )
    old_diploma = first["diploma"]
    console.print(Padding(f"Kept as diploma {old_diploma}.", (0, 0, 0, 2)))

    walk.step(
        4,
        "Results are published; the graduate files a complaint in the portal",
        "The complaint window opens with the results (three days). The graduate logs in with the eID, reads the "
        f"result, and complains about the {correction.exam} mark in {correction.subject}: a mark transcribed wrongly.",
    )
    publish_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    walk.run("tawtiq", issuer, "exam", "publish", "--session", SESSION, "--at", publish_at.isoformat())
    time.sleep(max(0.0, (publish_at - datetime.now(UTC)).total_seconds()) + 0.5)
    candidate = PortalBrowser(portal_url)
    officer = PortalBrowser(portal_url)
    try:
        candidate.log_in(graduate["cnie"], pins[graduate["cnie"]], path="/results")
        page = candidate.get("/results?lang=fr")
        mention_before = _text(page, "mention")
        _show(console, "The results page", [("average", _text(page, "average")), ("mention", mention_before)])
        candidate.post(
            "/results/complaints",
            {
                "subject": correction.subject,
                "kind": "transcription",
                "comment": f"The exam sheet shows {correction.corrected} for this subject, not {correction.original}.",
            },
            form_page="/results",
        )
        page = candidate.get("/results?lang=fr")
        complaint = re.search(r'data-complaint="(\d+)" data-state="([a-z_]+)"', page)
        if complaint is None:
            raise DemoError("the results page shows no complaint after it was filed")
        _show(console, "The graduate's complaint", [("state", complaint.group(2))])

        walk.step(
            5,
            "The academy's reviewer upholds it",
            "The reviewer logs in with their own eID card, finds the complaint in the academy's queue with the "
            "original mark, starts the review, enters the corrected mark and a reason, and confirms on the page that "
            "names whom the decision touches. In one transaction the mark changes, the graduate is deliberated "
            "again, and the diploma record is superseded.",
        )
        officer.log_in(reviewer["cnie"], pins[reviewer["cnie"]], path="/staff/complaints")
        complaint_id = complaint.group(1)
        officer.post(f"/staff/complaints/{complaint_id}/review", {}, form_page="/staff/complaints")
        decision = {
            "decision": "uphold",
            "new_mark": str(correction.corrected),
            "reason": "Mark transcribed wrongly from the exam sheet",
        }
        confirmation = officer.post(
            f"/staff/complaints/{complaint_id}/decide", decision, form_page="/staff/complaints"
        ).text
        _show(
            console,
            "The confirmation page",
            [("whom", _text(confirmation, "confirm-whom")), ("decision", _text(confirmation, "confirm-decision"))],
        )
        decided = officer.post(
            f"/staff/complaints/{complaint_id}/decide", {**decision, "confirm": "yes"}, form_page="/staff/complaints"
        )
        outcome = decided.headers.get("location", "").rpartition("done=")[2]
        _show(console, "Decided", [("outcome", outcome)])
        record_text = walk.run("tawtiq", issuer, "diploma", "show", graduate["cnie"], quiet=True)
        for line in record_text.splitlines():
            if re.match(r"\S+  |\s+(reason|generalAverage|mention):", line):
                console.print(Padding(Text(line.strip(), overflow="fold"), (0, 0, 0, 2)))

        walk.step(
            6,
            "The graduate sees the new result and takes the corrected diploma",
            "The results page shows the corrected mark and the new mention, and offers the corrected diploma to the "
            "wallet (a QR code, its link and a PIN).",
        )
        page = candidate.get("/results?lang=fr")
        mention_after = _text(page, "mention")
        _show(console, "The results page", [("average", _text(page, "average")), ("mention", mention_after)])
        offer_page = candidate.post("/results/offer", {}, form_page="/results").text
        link = re.search(r'href="(openid-credential-offer://[^"]+)"', offer_page)
        pin = _text(offer_page, "offer-pin")
        if link is None or not pin:
            raise DemoError("the portal's offer page has no link or PIN")
    finally:
        candidate.close()
        officer.close()
    time.sleep(DEMO_STATUS_TTL_SECONDS + 0.5)

    walk.step(
        7,
        "The wallet: the old copy is revoked, the corrected one is valid",
        "The wallet re-checks the old diploma's status (revoked: the record says why), then receives the corrected "
        "diploma from the portal's offer and verifies it.",
    )
    old_copy = json.loads(walk.run("wallet", walk.wallet_env, "verify", old_diploma, "--json", expect=(1,), quiet=True))
    console.print(Padding(copies_table(old_copy), (0, 0, 0, 2)))
    console.print(Padding(verdict_line("the old diploma", old_copy["verdict"]), (0, 0, 0, 2)))
    second = json.loads(
        walk.run(
            "wallet", walk.wallet_env, "receive", html.unescape(link.group(1)), "--tx-code", pin, "--json", quiet=True
        )
    )
    new_copy = json.loads(walk.run("wallet", walk.wallet_env, "verify", second["diploma"], "--json", quiet=True))
    console.print(Padding(copies_table(new_copy), (0, 0, 0, 2)))
    console.print(Padding(verdict_line("the corrected diploma", new_copy["verdict"]), (0, 0, 0, 2)))

    scholarship = scholarship_steps(
        walk,
        first_step=8,
        portal_url=portal_url,
        portal_env=portal_env,
        graduate=Person(graduate["cnie"], pins[graduate["cnie"]], name),
        officer=Person(
            officer_row["cnie"],
            pins[officer_row["cnie"]],
            f"{officer_row['givenName.lat']} {officer_row['familyName.lat']}",
        ),
        province=graduate["directorate.code"],
    )
    return AfterResultsResult(
        correction=correction,
        mention_before=mention_before,
        mention_after=mention_after,
        decision_outcome=outcome,
        old_copy=old_copy,
        new_copy=new_copy,
        record_text=record_text,
        portal_url=portal_url,
        scholarship=scholarship,
    )


def _show(console: Console, title: str, facts: list[tuple[str, str]]) -> None:
    line = Text(f"{title}: ", style="bold")
    for position, (name, value) in enumerate(facts):
        line.append(("; " if position else "") + f"{name} {value}")
    console.print(Padding(line, (0, 0, 0, 2)))


def _finale(walk: Walk, result: AfterResultsResult, *, wait: bool) -> None:
    console = walk.console
    console.print()
    console.rule("[bold]done[/]")
    outcome = "every outcome was the expected one" if result.expected else "[bold red]an unexpected outcome[/]"
    console.print(
        f"Mention {result.mention_before} → {result.mention_after}; the old copy revoked (corrected after "
        f"complaint), the corrected one valid; the scholarship {result.scholarship.final_state}."
    )
    console.print(f"{outcome[0].upper()}{outcome[1:]}.")
    if not wait:
        return
    console.print(f"[bold]The portal ({result.portal_url}), the eID and the issuer keep running; Ctrl-C stops them.[/]")
    try:
        while all(process.poll() is None for _name, process in walk.processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print()
        console.print("Stopping…")
