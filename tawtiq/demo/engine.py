"""``tawtiq demo --engine``: the credential loop through the engine alone, in-process.

The ministry signs a sample diploma in both profiles (W3C ``vc+sd-jwt`` and IETF ``dc+sd-jwt``), the graduate
presents it disclosing only some claims and proving possession of their key, the university verifies it, and
after the ministry sets the diploma's status bit the same presentation no longer verifies.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.panel import Panel

import schemas
from common.diploma import diploma_contexts, diploma_policy, diploma_trust_list
from keys import InMemoryKeyStore, KeyHistoryResolver
from tawtiq.demo.display import VERDICT_STYLE, claims_table, report_table
from vc import (
    BitOrder,
    ContextRegistry,
    HolderBinding,
    Profile,
    Signer,
    SigningKey,
    StaticStatusResolver,
    StatusList,
    StatusSnapshot,
    VerificationReport,
    issue,
    issue_bitstring_status_list,
    issue_token_status_list,
    present,
    verify,
    verify_status_list_token,
)
from vc.statuslist import STATUS_INVALID, STATUS_SUSPENDED

ISSUER = "https://bac.example.ma"
UNIVERSITY = "https://admissions.um5.example.ma"
#: What the university asks to see: no CNIE number, no birth data, no Massar code.
UNIVERSITY_ASKS = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")


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


def run_engine(console: Console | None = None, *, now: datetime | None = None) -> list[VerificationReport]:
    """Walk the engine's loop in-process and return the reports it printed (the test checks them)."""
    console = console or Console()
    now = now or datetime.now(UTC).replace(microsecond=0)
    contexts = diploma_contexts()

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
            claims_table(subject),
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
    policy = diploma_policy(
        trust=diploma_trust_list(ISSUER, version="demo-2026-1"),
        holder_binding=HolderBinding(required=True, audience=UNIVERSITY, nonce=nonce),
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
            style = VERDICT_STYLE[report.verdict]
            console.print(
                Panel(
                    report_table(report),
                    title=f"{step}. {title} ({profile.value})",
                    subtitle=f"verdict: [{style}]{report.verdict.upper()}[/] · trust list {report.trust_list_version}",
                )
            )
        return reports

    reports = check_all("4", "The university verifies")
    disclosed = reports[0].claims or {}
    console.print(
        Panel(
            claims_table(disclosed.get("credentialSubject", {})),
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
