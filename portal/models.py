"""The portal's own tables in the ministry's database: logins under way, sessions, and staff roles.

Nothing here identifies a browser by a value usable on its own: a session id and a login id live in the browser's
cookie only, the database keeps their keyed digests (HMAC-SHA-256 with the portal's secret key), so a copy of the
database cannot be replayed as a cookie. A session holds the CNIE the eID vouched for: every page reads the
candidate's data with it, never with an identifier a browser sends. The schema is created by the Alembic
migrations in ``portal/migrations`` (version table ``portal_alembic_version``).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, false

from issuer.models import UTCDateTime

#: The portal's tables only (other services' tables share the database, not this metadata).
metadata: Final = MetaData()

#: A login between the redirect to the eID and the callback: the state, nonce and PKCE verifier to check it with.
logins: Final = Table(
    "portal_logins",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    #: The :class:`common.identity.LoginStart` as JSON (state, nonce, code verifier, redirect URI, URL).
    Column("start", Text, nullable=False),
    #: The page to go to after the login (a path of the portal).
    Column("next_path", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

#: A logged-in browser.
sessions: Final = Table(
    "portal_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("cnie", String(16), nullable=False),
    #: The eID's pairwise subject, kept to tell two logins of one person apart from two people.
    Column("subject", String(255), nullable=False),
    Column("acr", String(100), nullable=False),
    #: The name the eID gave, for the greeting (Latin and Arabic).
    Column("display_name", String(300), nullable=False),
    Column("display_name_ar", String(300), nullable=False),
    #: Whether the person held a staff role at login (only for the menu: staff pages check the roles each time).
    Column("staff", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    #: The absolute end; the idle end is ``last_seen_at`` + the idle bound.
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_portal_sessions_expires_at", "expires_at"),
)

#: A staff role held by a person (by CNIE), with the school or academy it covers.
staff: Final = Table(
    "portal_staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cnie", String(16), nullable=False),
    Column("role", String(40), nullable=False),
    #: The school code (school reviewers), the academy code (academy reviewers); empty for administrators.
    Column("scope", String(40), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("cnie", "role", "scope", name="uq_portal_staff_cnie_role_scope"),
    Index("ix_portal_staff_cnie", "cnie"),
)
