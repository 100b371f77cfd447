"""Cross-site requests to the page's forms and the share-link actions are refused; machine clients are not."""

from __future__ import annotations

import html

import pytest

CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://other.verify.test.example"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/verify?lang=en", {"input": "eyJhbGciOiJFUzI1NiJ9.e30.x", "lang": "en"}),
        ("/oid4vp/start?lang=en", {"claims": "familyName", "lang": "en"}),
    ],
)
def test_a_cross_site_form_is_refused_with_a_page(client, path, form, headers):
    response = client.post(path, data=form, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "This request was refused because it came from another site." in html.unescape(response.text)


def test_a_cross_site_qr_upload_is_refused_before_it_is_read(client):
    response = client.post(
        "/verify/qr?lang=fr",
        files={"image": ("qr.png", b"\x89PNG not read", "image/png")},
        data={"lang": "fr"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert "car elle vient d'un autre site" in html.unescape(response.text)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://verify.test.example"},
        {"Origin": "https://verify.test.example"},
        {},  # not a browser: a script or a wallet
    ],
)
def test_the_pages_own_forms_and_machine_clients_are_served(client, headers):
    response = client.post("/verify?lang=en", data={"input": "not a credential", "lang": "en"}, headers=headers)
    assert response.status_code == 200
    assert client.post("/shares/nonce", headers=headers).status_code == 200


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_share_link_actions_refuse_cross_site_requests(client, headers):
    nonce = client.post("/shares/nonce", headers=headers)
    assert nonce.status_code == 403
    assert nonce.headers["content-type"] == "application/problem+json"
    assert nonce.json()["code"] == "request.cross_site"
    assert client.post("/shares", json={"presentation": "x~"}, headers=headers).json()["code"] == "request.cross_site"
    revoke = client.delete("/shares/abcdefgh12345678", headers={"Authorization": "Bearer t", **headers})
    assert revoke.status_code == 403


def test_the_json_apis_do_not_need_it(client):
    headers = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    response = client.post("/credentials/verify", json={"verifiableCredential": "x"}, headers=headers)
    assert response.status_code == 200
    assert client.post("/oid4vp/requests", json={}, headers=headers).status_code == 201
