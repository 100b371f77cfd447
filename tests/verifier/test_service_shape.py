"""The verifier has the common service shape: health bodies, the migration policy, problem details."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from vc import ConfigurationError
from verifier.app import create_app


def test_health_endpoints_have_the_common_bodies(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "trust_list": "ok"}},
    )


def test_without_auto_migrate_an_old_schema_is_refused_naming_the_command(make_settings, clock, tmp_path):
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'fresh' / 'v.sqlite3'}", auto_migrate=False)
    with pytest.raises(ConfigurationError) as refused, TestClient(create_app(settings, clock=clock)):
        pass
    assert refused.value.code == "db.not_migrated"
    assert "tawtiq verifier db-upgrade" in str(refused.value)


def test_errors_carry_found_and_expected_as_problem_members(client):
    response = client.post("/credentials/verify", json={"verifiableCredential": 42})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert body["status"] == 400
