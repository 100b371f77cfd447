"""The demo's second part: the exam year behind the eID, for one candidate.

In the issuer's database (the ministry's), the operator registers a small synthetic session, imports its marks and
deliberates it with the ``tawtiq exam`` commands. The development eID stand-in and the candidate portal start; one
candidate logs in with their card number and development PIN — the eID's login form driven over HTTP, as a browser
would — sees and confirms their personal data, downloads the convocation (PDF), and reads the result page a few
seconds before the announcement and at the announced second.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import httpx
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tawtiq.demo.walk import DemoError, Walk, free_port_near

EXAM_SESSION: Final = "2025-normale"
EXAM_COHORT_SIZE: Final = 5
PREFERRED_EID_PORT: Final = 8300
PREFERRED_PORTAL_PORT: Final = 8400
#: How far ahead of now the demo announces the results (the page is read before and at that second): room for the
#: publish command to start and finish on a loaded machine.
ANNOUNCE_AFTER_SECONDS: Final = 20


@dataclass
class ExamYearResult:
    """What the candidate saw in the portal."""

    portal_url: str
    eid_url: str
    state_before: str | None
    state_after: str | None
    convocation_bytes: int
    before_announcement: str | None
    decision: str | None
    average: str | None
    mention: str | None

    @property
    def expected(self) -> bool:
        return (
            self.state_before == "unconfirmed"
            and self.state_after == "confirmed"
            and self.convocation_bytes > 0
            and self.before_announcement is not None
            and self.decision in ("admitted", "catch_up", "not_admitted")
            and self.average is not None
        )


def _found(pattern: str, page: str) -> str | None:
    match = re.search(pattern, page)
    return match.group(1) if match else None


def _text(fragment: str | None) -> str | None:
    return re.sub(r"<[^>]+>", "", fragment).strip() if fragment is not None else None


def walk_exam_year(walk: Walk, *, first_step: int) -> ExamYearResult:
    """Steps ``first_step`` … ``first_step + 4`` (see the module docstring). Raises :class:`DemoError`."""
    console = walk.console
    exam_dir = walk.directory / "exam"
    exam_dir.mkdir(mode=0o700)
    step = first_step

    walk.step(
        step,
        "The exam year: candidates, marks, deliberation",
        f"In the ministry's database (the issuer's), a synthetic session {EXAM_SESSION} of {EXAM_COHORT_SIZE} "
        "candidates is registered, its marks imported and the session deliberated: admitted candidates become "
        "diploma records, like those of the first part.",
    )
    candidates, marks = exam_dir / "candidates.csv", exam_dir / "marks.csv"
    env = walk.issuer_env
    walk.run("tawtiq", env, "exam", "db-upgrade")
    walk.run(
        "tawtiq", env, "exam", "candidates", "generate", "--count", str(EXAM_COHORT_SIZE), "--seed", "2025",
        "--session", EXAM_SESSION, "--out", str(candidates),
    )  # fmt: skip
    walk.run("tawtiq", env, "exam", "candidates", "import", str(candidates), "--session", EXAM_SESSION)
    walk.run(
        "tawtiq", env, "exam", "marks", "generate", "--session", EXAM_SESSION, "--seed", "2025", "--out", str(marks)
    )
    walk.run("tawtiq", env, "exam", "marks", "import", str(marks), "--session", EXAM_SESSION)
    walk.run("tawtiq", env, "exam", "deliberate", "--session", EXAM_SESSION)
    with candidates.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    candidate = rows[0]

    step += 1
    eid_port, portal_port = free_port_near(PREFERRED_EID_PORT), free_port_near(PREFERRED_PORTAL_PORT)
    eid_url, portal_url = f"http://127.0.0.1:{eid_port}", f"http://127.0.0.1:{portal_port}"
    walk.step(
        step,
        "The development eID and the candidate portal start",
        "The eID stand-in knows every candidate (a development PIN each) and the portal as a client; the portal "
        "shares the ministry's database and logs candidates in through the eID (OpenID Connect, PKCE).",
    )
    identities, clients = exam_dir / "identities.json", exam_dir / "clients.json"
    walk.run("tawtiq", env, "eid", "identities", "--from", str(candidates), "--out", str(identities))
    client = json.loads(
        walk.run(
            "tawtiq", env, "eid", "client", "add", "--client-id", "portal",
            "--redirect-uri", f"{portal_url}/login/callback", "--out", str(clients), quiet=True,
        )
    )  # fmt: skip
    console.print(Padding("client portal registered; its secret is kept in a 0600 file for the portal", (0, 0, 0, 2)))
    secret_file = _private(exam_dir / "portal-client-secret", client["client_secret"])
    passphrase_file = _private(exam_dir / "key-passphrase", env["TAWTIQ_KEY_PASSPHRASE"])
    walk.start(
        "eid",
        {**env, "TAWTIQ_EID_DATA_DIR": str(exam_dir / "eid-data")},
        "serve", "eid", "--port", str(eid_port), "--identities", str(identities), "--clients", str(clients),
        "--development",
        base=eid_url,
        health=f"{eid_url}/health/ready",
        verify=False,
    )  # fmt: skip
    portal_env = {
        **env,  # the issuer's settings too: the portal's diploma and complaint pages act as the issuer would
        "TAWTIQ_PORTAL_PUBLIC_URL": portal_url,
        "TAWTIQ_PORTAL_DATA_DIR": str(walk.issuer_dir),
        "TAWTIQ_PORTAL_EID_DISCOVERY_URL": f"{eid_url}/.well-known/openid-configuration",
        "TAWTIQ_PORTAL_EID_CLIENT_SECRET_FILE": str(secret_file),
        "TAWTIQ_PORTAL_AUDIT_PASSPHRASE_FILE": str(passphrase_file),
        "TAWTIQ_PORTAL_SECRET_KEY": secrets.token_urlsafe(32),
        "TAWTIQ_PORTAL_EXAM_SESSION": EXAM_SESSION,
    }
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

    pin = next(
        entry["pin"] for entry in json.loads(identities.read_text("utf-8")) if entry["cnie"] == candidate["cnie"]
    )
    name = f"{candidate['givenName.lat']} {candidate['familyName.lat']} ({candidate['givenName.ar']} "
    name += f"{candidate['familyName.ar']})"
    with httpx.Client(timeout=30, headers={"Accept": "text/html"}) as browser:
        step += 1
        walk.step(
            step,
            "A candidate logs in with the eID and confirms their data",
            f"{name}, {candidate['stream.fr']}. The portal sends the browser to the eID's login page; the card "
            "number and PIN are typed in its form; the eID sends the browser back with a code the portal redeems.",
        )
        page = _log_in(browser, portal_url, eid_url, cnie=candidate["cnie"], pin=pin, console=walk)
        state_before = _found(r'data-state="([a-z_]+)"', page)
        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for field in re.findall(r"<dt>([^<]+)</dt><dd><bdi[^>]*>([^<]*)</bdi></dd>", page)[:8]:
            table.add_row(*field)
        console.print(Padding(table, (0, 0, 0, 2)))
        token = _found(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise DemoError("the personal data page has no form token")
        console.print(Text(f"  POST {portal_url}/me/confirm   (the page's button, with its CSRF token)", style="cyan"))
        confirmed = browser.post(f"{portal_url}/me/confirm", data={"csrf_token": token, "lang": "fr"})
        page = browser.get(f"{portal_url}{confirmed.headers.get('location', '/me')}").text
        state_after = _found(r'data-state="([a-z_]+)"', page)
        console.print(Padding(f"personal data: {state_before} → {state_after}", (0, 0, 0, 2)))

        step += 1
        walk.step(step, "The convocation", "Available now that the data is confirmed: one A4 page, Arabic and French.")
        console.print(Text(f"  GET {portal_url}/convocation.pdf", style="cyan"))
        pdf = browser.get(f"{portal_url}/convocation.pdf")
        if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
            raise DemoError(f"the convocation was not served: {pdf.status_code} {_text(pdf.text[:300])}")
        saved = walk.directory / "convocation.pdf"
        saved.write_bytes(pdf.content)
        console.print(Padding(f"{len(pdf.content):,} bytes → {saved}", (0, 0, 0, 2)))

        step += 1
        announced = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=ANNOUNCE_AFTER_SECONDS)
        walk.step(
            step,
            "Results at the announced second",
            f"The ministry announces the results {ANNOUNCE_AFTER_SECONDS} s from now; before that second the page "
            "says only when, the same for every candidate; from it, the decision, average, mention and marks.",
        )
        walk.run("tawtiq", env, "exam", "publish", "--session", EXAM_SESSION, "--at", announced.isoformat())
        before = browser.get(f"{portal_url}/results?lang=fr").text
        before_text = _text(_found(r'<p id="announcement">(.*?)</p>', before))
        console.print(Padding(f"{datetime.now(UTC):%H:%M:%S} UTC — the page says: {before_text}", (0, 0, 0, 2)))
        time.sleep(max(0.0, (announced - datetime.now(UTC)).total_seconds()) + 0.05)
        after = browser.get(f"{portal_url}/results?lang=fr").text
        decision = _found(r'data-decision="([a-z_]+)"', after)
        average = _text(_found(r'id="average">(.*?)</dd>', after))
        mention = _text(_found(r'id="mention">(.*?)</dd>', after))
        shown = _text(_found(r'id="decision">(.*?)</p>', after))
        console.print(
            Padding(
                f"{datetime.now(UTC):%H:%M:%S} UTC — {shown}, moyenne {average}"
                + (f", mention {mention}" if mention else ""),
                (0, 0, 0, 2),
            )
        )
    return ExamYearResult(
        portal_url=portal_url,
        eid_url=eid_url,
        state_before=state_before,
        state_after=state_after,
        convocation_bytes=len(pdf.content),
        before_announcement=before_text,
        decision=decision,
        average=average,
        mention=mention,
    )


def _private(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    return path


def _log_in(browser: httpx.Client, portal_url: str, eid_url: str, *, cnie: str, pin: str, console: Walk) -> str:
    """The login as a browser does it, each redirect shown; the personal data page it ends on."""
    started = browser.get(f"{portal_url}/login?lang=fr")
    authorize = started.headers.get("location", "")
    if started.status_code != 303 or not authorize.startswith(f"{eid_url}/authorize"):
        raise DemoError(f"the portal did not send the browser to the eID: {started.status_code}")
    console.console.print(Text(f"  GET {portal_url}/login → 303 {authorize[:90]}…", style="cyan"))
    form = browser.get(authorize)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form.text))
    console.console.print(Text(f"  POST {eid_url}/authorize   cnie={cnie} pin=******", style="cyan"))
    answered = browser.post(f"{eid_url}/authorize", data={**fields, "cnie": cnie, "pin": pin})
    callback = answered.headers.get("location", "")
    if answered.status_code != 303 or not callback.startswith(f"{portal_url}/login/callback"):
        raise DemoError(f"the eID refused the login: {answered.status_code} {_text(answered.text[:300])}")
    console.console.print(Text(f"  GET {callback.split('?')[0]}?code=…&state=…", style="cyan"))
    landed = browser.get(callback)
    if landed.status_code != 303:
        raise DemoError(f"the portal refused the login: {landed.status_code} {_text(landed.text[-600:])}")
    console.console.print(Text(f"  → 303 {landed.headers['location']} (session cookie set)", style="cyan"))
    return browser.get(f"{portal_url}{landed.headers['location']}").text
