"""The scholarship steps of the portal's walk-through: a graduate applies, the province's officer decides.

:func:`scholarship_steps` runs on a portal that is already serving (with the development eID and an announced
session): the ministry names a scholarship officer for the graduate's province with ``tawtiq portal staff add``;
the graduate logs in with the eID, saves a draft, submits the application (the eligibility and its reasons are
shown), and a replay of the submission is refused; the officer logs in, takes the application up, asks to grant
it, reads the confirmation page naming whom it touches, and confirms. The browsers are driven over HTTP as a
person's would be (the eID's login form, the portal's forms with their CSRF tokens).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin

import httpx
from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from tawtiq.demo.walk import DemoError, Walk

#: The graduate's answers: an income bracket the illustrative rules find eligible.
APPLICATION: Final = {
    "family_situation": "both_parents",
    "income_bracket": "30k_to_60k",
    "siblings": "1",
    "establishment": "USMBA-ENSA",
}


@dataclass(frozen=True)
class Person:
    """Someone with an eID card: its number and development PIN, and a name to print."""

    cnie: str
    pin: str
    name: str


@dataclass(frozen=True)
class ScholarshipOutcome:
    """What the steps saw: the application's state after submission, its eligibility and reasons, the code the
    replayed submission was refused with, and the state after the officer's decision."""

    submitted_state: str
    eligible: bool
    reasons: tuple[str, ...]
    replay_refusal: str
    final_state: str

    @property
    def expected(self) -> bool:
        return (
            self.submitted_state == "submitted"
            and self.eligible
            and self.replay_refusal == "scholarship.submitted"
            and self.final_state == "granted"
        )


class _Browser:
    """A person's browser on the portal, over HTTP: cookies kept, each redirect followed by hand."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(timeout=30, headers={"Accept": "text/html"})

    def close(self) -> None:
        self.http.close()

    def log_in(self, person: Person, *, path: str) -> None:
        answer = self.http.get(f"{self.base}/login", params={"next": path, "lang": "fr"})
        authorize = _location(answer, "the portal's login")
        page = self.http.get(authorize)
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
        answer = self.http.post(
            urljoin(authorize, "/authorize"), data={**fields, "cnie": person.cnie, "pin": person.pin}
        )
        _location(self.http.get(_location(answer, "the eID's login")), "the portal's callback")

    def get(self, path: str) -> str:
        answer = self.http.get(f"{self.base}{path}")
        if answer.status_code != 200:
            raise DemoError(f"GET {path}: {answer.status_code} {_code(answer.text)}")
        return answer.text

    def post(self, path: str, fields: dict[str, str], *, form_page: str, expect: int = 303) -> httpx.Response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get(form_page))
        if token is None:
            raise DemoError(f"{form_page} has no form")
        return self.send(path, {"csrf_token": token.group(1), "lang": "fr", **fields}, expect=expect)

    def send(self, path: str, data: dict[str, str], *, expect: int) -> httpx.Response:
        answer = self.http.post(f"{self.base}{path}", data=data)
        if answer.status_code != expect:
            raise DemoError(f"POST {path}: {answer.status_code} {_code(answer.text)}")
        return answer


def _location(answer: httpx.Response, what: str) -> str:
    if answer.status_code != 303:
        raise DemoError(f"{what} answered {answer.status_code} {_code(answer.text)}")
    return str(answer.headers["location"])


def _code(page: str) -> str:
    found = re.search(r'data-code="([^"]+)"', page)
    return found.group(1) if found else page[:200]


def _attribute(page: str, element_id: str, name: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*\b{name}="([^"]*)"', page) or re.search(
        rf'\b{name}="([^"]*)"[^>]*id="{element_id}"', page
    )
    return found.group(1) if found else ""


def _text(page: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    if found is None:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())


def _show(console: Console, title: str, facts: list[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=False, title_justify="left", box=None, padding=(0, 1))
    for name, value in facts:
        table.add_row(name, value)
    console.print(Padding(table, (0, 0, 0, 2)))


def scholarship_steps(
    walk: Walk,
    *,
    first_step: int,
    portal_url: str,
    portal_env: dict[str, str],
    graduate: Person,
    officer: Person,
    province: str,
) -> ScholarshipOutcome:
    """The scholarship's steps, numbered from ``first_step`` (see the module docstring). ``graduate`` must be an
    admitted candidate of the portal's session, its result announced; ``province`` is their directorate code.

    Raises :class:`DemoError` when a page or command does not answer as it should.
    """
    console = walk.console
    walk.step(
        first_step,
        "A scholarship officer for the graduate's province",
        "The ministry gives the role to an officer of the province (its directorate code), who logs in with their "
        "own eID card and sees only that province's applications.",
    )
    walk.run(
        "tawtiq",
        portal_env,
        "portal",
        "staff",
        "add",
        "--cnie",
        officer.cnie,
        "--role",
        "scholarship-officer",
        "--province",
        province,
    )

    walk.step(
        first_step + 1,
        "The graduate applies for the post-baccalaureate scholarship",
        f"{graduate.name} logs in with the eID (the CNIE comes from it), saves a draft, then submits the form "
        "once: the eligibility rules (illustrative defaults) are evaluated and their reasons shown. The same "
        "submission sent again (a replayed POST) is refused and writes nothing.",
    )
    applicant, staff = _Browser(portal_url), _Browser(portal_url)
    try:
        applicant.log_in(graduate, path="/scholarship")
        applicant.post("/scholarship", {"action": "draft", "income_bracket": "30k_to_60k"}, form_page="/scholarship")
        page = applicant.get("/scholarship?lang=fr")
        _show(console, "Saved", [("state", _text(page, "state"))])
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise DemoError("the scholarship page has no form")
        submission = {"csrf_token": token.group(1), "lang": "fr", "action": "submit", **APPLICATION}
        applicant.send("/scholarship", submission, expect=303)
        page = applicant.get("/scholarship?lang=fr")
        submitted = _attribute(page, "state", "data-state")
        eligible = _attribute(page, "eligibility", "data-eligible") == "true"
        reasons = tuple(re.findall(r'data-reason="([a-z_]+)"', page))
        _show(console, "Submitted", [("state", _text(page, "state")), ("eligibility", _text(page, "eligibility"))])
        replay = applicant.send("/scholarship", submission, expect=409)
        replay_code = _code(replay.text)
        _show(console, "The same POST again", [("answer", f"{replay.status_code} {replay_code}")])

        walk.step(
            first_step + 2,
            "The province's officer decides",
            "The officer opens the province's queue, takes the application up and asks to grant it; a confirmation "
            "page names whom the decision touches, and only the confirmation decides. The graduate then reads the "
            "decision in the portal.",
        )
        staff.log_in(officer, path="/staff/scholarships")
        queue = staff.get("/staff/scholarships?lang=fr")
        found = re.search(r'data-application="(\d+)"', queue)
        if found is None:
            raise DemoError("the officer's queue shows no application")
        path = f"/staff/scholarships/{found.group(1)}"
        staff.post(f"{path}/review", {}, form_page=path)
        confirmation = staff.post(f"{path}/decision", {"decision": "grant"}, form_page=path, expect=200).text
        _show(console, "The confirmation page", [("whom", _text(confirmation, "confirm-whom"))])
        staff.post(f"{path}/decision", {"decision": "grant", "confirm": "yes"}, form_page=path)
        page = applicant.get("/scholarship?lang=fr")
        final = _attribute(page, "state", "data-state")
        _show(console, "The graduate's page", [("state", _text(page, "state"))])
    finally:
        applicant.close()
        staff.close()
    return ScholarshipOutcome(
        submitted_state=submitted,
        eligible=eligible,
        reasons=reasons,
        replay_refusal=replay_code,
        final_state=final,
    )
