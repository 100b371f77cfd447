"""The verification page, server-rendered: Arabic (right-to-left, the default), French and English.

Mobile first and accessible: ``lang`` and ``dir`` on the document, a skip link, labelled form controls, the
verdict announced as a status region, every value taken from a credential isolated in ``<bdi>`` (:func:`_value`)
so that Latin names read right inside Arabic text and the reverse and no value reorders the text around it, and
colours chosen for contrast (see ``static/verifier.css``). Every value is escaped by :mod:`common.html`; a
character our own import refuses (a bidi override, a zero-width or control character) in another issuer's value
is shown by its code point (``[U+202E]``) and the value flagged. Results are rendered from the report's JSON
form, the same for a live verification, a share link and a stored OpenID4VP result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import schemas
from common.diploma import printed_subject
from common.html import Markup, join, tag
from vc.offline import OFFLINE_PROFILE
from verifier.messages import (
    CHECK_NAMES,
    DIRECTION,
    LANGUAGE_NAMES,
    LISTED_SINCE,
    LOCALES,
    OUTCOMES,
    PAGE_ERRORS,
    UI,
    VERDICT_EXPLANATIONS,
    VERDICTS,
    WITHHELD,
    Locale,
    format_age,
    lookup,
)
from verifier.reasons import decisive_check, listed_since, reason_text, withheld_claims
from verifier.reporting import report_json
from verifier.verification import Verification

_VERDICT_ICONS = {"valid": "✓", "invalid": "✗", "indeterminate": "?"}
_OUTCOME_ICONS = {"passed": "✓", "failed": "✗", "not_checked": "–"}


def _ui(key: str, locale: Locale) -> str:
    return UI[key][locale]


def _language_links(locale: Locale, path: str) -> Markup:
    items = [
        tag(
            "li",
            tag(
                "a",
                LANGUAGE_NAMES[other],
                href=f"{path}?lang={other}",
                lang=other,
                hreflang=other,
                aria_current="true" if other == locale else None,
            ),
        )
        for other in LOCALES
    ]
    return tag("nav", tag("ul", items, class_="languages"), aria_label=_ui("languages", locale))


def _language_forms(locale: Locale, fields: Mapping[str, str], action: str) -> Markup:
    """Language switch for a page that answered a POST: each language re-submits the same fields."""
    forms = [
        tag(
            "li",
            tag(
                "form",
                [tag("input", type="hidden", name=name, value=value) for name, value in fields.items()],
                tag("input", type="hidden", name="lang", value=other),
                tag(
                    "button",
                    LANGUAGE_NAMES[other],
                    type="submit",
                    lang=other,
                    aria_current="true" if other == locale else None,
                    class_="link",
                ),
                method="post",
                action=action,
            ),
        )
        for other in LOCALES
    ]
    return tag("nav", tag("ul", forms, class_="languages"), aria_label=_ui("languages", locale))


def layout(*, locale: Locale, title: str, body: Markup, switch: Markup, footer: Markup | None = None) -> str:
    """The whole document around ``body``."""
    return "<!doctype html>\n" + tag(
        "html",
        tag(
            "head",
            tag("meta", charset="utf-8"),
            tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
            tag("meta", name="color-scheme", content="light"),
            tag("title", f"{title} — {_ui('site_title', locale)}"),
            tag("link", rel="stylesheet", href="/static/verifier.css"),
        ),
        tag(
            "body",
            tag("a", _ui("skip", locale), href="#main", class_="skip"),
            tag(
                "header",
                tag(
                    "p", tag("a", tag("span", "توثيق", lang="ar"), " · Tawtiq", href=f"/?lang={locale}"), class_="brand"
                ),
                switch,
                class_="site",
            ),
            tag("main", body, id="main"),
            tag("footer", tag("p", _ui("footer", locale)), footer, class_="site"),
        ),
        lang=locale,
        dir=DIRECTION[locale],
    )


def home_page(*, locale: Locale) -> str:
    """The start page: paste, upload a QR photo, or ask a wallet."""
    claims = []
    for name in schemas.DEFAULT_DISCLOSED_CLAIMS:  # the protected claims are for authenticated relying parties
        field_id = f"claim-{name}"
        claims.append(
            tag(
                "li",
                tag(
                    "input",
                    type="checkbox",
                    id=field_id,
                    name="claims",
                    value=name,
                    checked=True,
                ),
                tag("label", schemas.claim_label([name], locale), for_=field_id),
            )
        )
    body = join(
        tag("h1", _ui("home_heading", locale)),
        tag("p", _ui("home_lead", locale), class_="lead"),
        tag(
            "section",
            tag("h2", _ui("paste_heading", locale), id="paste-heading"),
            tag(
                "form",
                tag("input", type="hidden", name="lang", value=locale),
                tag("label", _ui("paste_label", locale), for_="input"),
                tag("p", _ui("paste_hint", locale), id="input-hint", class_="hint"),
                tag(
                    "textarea",
                    "",
                    id="input",
                    name="input",
                    rows=4,
                    required=True,
                    dir="ltr",
                    autocapitalize="off",
                    autocomplete="off",
                    spellcheck="false",
                    aria_describedby="input-hint",
                ),
                tag("button", _ui("verify_button", locale), type="submit"),
                method="post",
                action=f"/verify?lang={locale}",
            ),
            aria_labelledby="paste-heading",
            class_="card",
        ),
        tag(
            "section",
            tag("h2", _ui("qr_heading", locale), id="qr-heading"),
            tag(
                "form",
                tag("input", type="hidden", name="lang", value=locale),
                tag("label", _ui("qr_label", locale), for_="image"),
                tag("p", _ui("qr_hint", locale), id="image-hint", class_="hint"),
                tag(
                    "input",
                    type="file",
                    id="image",
                    name="image",
                    accept="image/png,image/jpeg,image/webp",
                    required=True,
                    aria_describedby="image-hint",
                ),
                tag("button", _ui("qr_button", locale), type="submit"),
                method="post",
                action=f"/verify/qr?lang={locale}",
                enctype="multipart/form-data",
            ),
            aria_labelledby="qr-heading",
            class_="card",
        ),
        tag(
            "section",
            tag("h2", _ui("wallet_heading", locale), id="wallet-heading"),
            tag("p", _ui("wallet_lead", locale)),
            tag(
                "form",
                tag("input", type="hidden", name="lang", value=locale),
                tag(
                    "fieldset",
                    tag("legend", _ui("wallet_claims", locale)),
                    tag("p", _ui("wallet_private_note", locale), class_="hint"),
                    tag("ul", claims, class_="choices"),
                ),
                tag("button", _ui("wallet_button", locale), type="submit"),
                method="post",
                action=f"/oid4vp/start?lang={locale}",
            ),
            aria_labelledby="wallet-heading",
            class_="card",
        ),
    )
    return layout(locale=locale, title=_ui("home_heading", locale), body=body, switch=_language_links(locale, "/"))


def _subject_claims(report: Mapping[str, Any]) -> Mapping[str, Any]:
    claims = report.get("claims")
    if not isinstance(claims, Mapping):
        return {}
    subject = claims.get("credentialSubject")
    if isinstance(subject, Mapping):
        return subject
    if report.get("profile") == "dc+sd-jwt":
        return claims
    if report.get("profile") == OFFLINE_PROFILE:
        return printed_subject(claims)
    return {}


def _check_of(report: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next((check for check in report.get("checks", []) if check.get("check") == name), {})


def _status_offline(report: Mapping[str, Any]) -> bool:
    """Whether the status could not be checked because the issuer's list was out of reach."""
    check = _check_of(report, "status")
    code = str(check.get("code", ""))
    return check.get("outcome") == "not_checked" and (code == "status.unavailable" or code.startswith("fetch."))


def _offline_section(report: Mapping[str, Any], locale: Locale) -> Markup | None:
    """For a printed diploma's code: the signature was checked offline; the status was added, or could not be."""
    if report.get("profile") != OFFLINE_PROFILE:
        return None
    signed = _check_of(report, "signature").get("outcome") == "passed"
    items = report.get("status") or []
    if items:
        status = _ui("offline_status_checked", locale).format(time=_clock_time(items[0].get("fetched_at")))
    elif _status_offline(report):
        status = _ui("status_offline", locale)
    else:
        status = None
    return tag(
        "section",
        tag("h2", _ui("offline_heading", locale)),
        tag("p", _ui("offline_signature", locale), class_="offline-signature") if signed else None,
        tag("p", status, class_="offline-status") if status else None,
        class_="card offline",
    )


def _value(value: object, *, direction: str | None = None) -> Markup:
    """A value taken from a credential: escaped, isolated in ``<bdi>`` so it cannot reorder the text around it,
    and with any character a subject may not hold shown by its code point (``[U+202E]``) and the value flagged."""
    text = str(value)
    shown = schemas.marked_text(text)
    flagged = shown != text or "[U+" in shown
    return tag(
        "bdi",
        shown,
        dir=direction,
        class_="refused-characters" if flagged else None,
        title="hidden or reordering characters shown by code point" if flagged else None,
    )


def _claims_section(report: Mapping[str, Any], locale: Locale, *, authentic: bool = False) -> Markup:
    subject = _subject_claims(report)
    rows = [
        tag(
            "div",
            tag("dt", schemas.claim_label([name], locale)),
            tag("dd", _value(schemas.display_value(name, subject[name], locale))),
        )
        for name in schemas.SUBJECT_CLAIMS
        if name in subject
    ]
    reliable = authentic or report.get("verdict") == "valid"
    heading = _ui("claims_heading" if reliable else "claims_unreliable", locale)
    content = tag("dl", rows, class_="claims") if rows else tag("p", _ui("claims_none", locale))
    return tag("section", tag("h2", heading), content, class_="card" if reliable else "card unreliable")


def _check_item(check: Mapping[str, Any], locale: Locale) -> Markup:
    outcome = str(check.get("outcome"))
    entry = lookup(str(check.get("code")))
    message = _value(entry[locale]) if entry is not None else _value(check.get("message"))
    name = CHECK_NAMES.get(str(check.get("check")), {}).get(locale, str(check.get("check")))
    return tag(
        "li",
        tag("span", _OUTCOME_ICONS.get(outcome, "?"), class_="icon", aria_hidden="true"),
        tag(
            "div",
            tag(
                "p",
                tag("strong", name),
                " — ",
                tag("span", OUTCOMES.get(outcome, {}).get(locale, outcome), class_="outcome"),
            ),
            tag("p", message),
            tag(
                "details",
                tag("summary", _ui("technical", locale)),
                tag("p", tag("code", _value(check.get("code"))), " ", _value(check.get("message"), direction="ltr")),
            ),
        ),
        class_=f"check {outcome}",
    )


def _clock_time(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime("%H:%M UTC")
    except ValueError:
        return ""


def _status_line(report: Mapping[str, Any], locale: Locale) -> Markup:
    """Each status list used: its purpose, when the issuer's copy was fetched, and how old it was at the check,
    saying so when it could not be refreshed."""
    items = report.get("status") or []
    if not items:
        return tag("dd", _ui("status_offline" if _status_offline(report) else "status_none", locale))
    parts = []
    for item in items:
        purpose = str(item.get("purpose"))
        label = UI.get(f"purpose_{purpose}", {}).get(locale, purpose)
        text = _ui("status_as_of_stale" if item.get("stale") else "status_as_of", locale).format(
            purpose=label,
            time=_clock_time(item.get("fetched_at")),
            age=format_age(float(item.get("age_seconds", 0)), locale),
        )
        parts.append(tag("li", text, class_="status-age stale" if item.get("stale") else "status-age"))
    return tag("dd", tag("ul", parts, class_="plain"))


def _issuer_section(report: Mapping[str, Any], locale: Locale) -> Markup | None:
    names = report.get("issuer_name") or {}
    issuer = report.get("issuer")
    name = names.get(locale) or names.get("fr") or names.get("en") or names.get("ar")
    if not name and not issuer:
        return None
    return tag(
        "section",
        tag("h2", _ui("issuer", locale)),
        tag("p", tag("strong", _value(name)) if name else tag("strong", _ui("issuer_unknown", locale))),
        tag("p", _value(issuer, direction="ltr"), class_="hint") if issuer else None,
        class_="card",
    )


def _format_time(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def result_body(report: Mapping[str, Any], *, locale: Locale, note: str | None = None) -> Markup:
    """The result: verdict, note, issuer, disclosed claims, every check, and what the answer rests on."""
    verdict = str(report.get("verdict", "indeterminate"))
    nested: Sequence[Mapping[str, Any]] = report.get("credentials") or []
    shown = nested[0] if nested and not _subject_claims(report) else report
    checks = [_check_item(check, locale) for check in report.get("checks", [])]
    decisive = decisive_check(report)
    reason = reason_text(decisive) if decisive is not None else None
    heading: str = VERDICTS[verdict][locale]
    explanation: str | None = VERDICT_EXPLANATIONS[verdict][locale]
    reason_line = reason[locale] if reason else None
    since = listed_since(report)
    if (
        reason_line
        and decisive is not None
        and decisive.get("code") in ("status.revoked", "status.suspended")
        and since
    ):
        reason_line = f"{reason_line} {LISTED_SINCE[locale].format(date=_format_time(since))}"
    withheld = withheld_claims(report)
    if withheld is not None:  # authentic, but the holder did not share every requested claim
        separator = "، " if locale == "ar" else ", "
        names = separator.join(schemas.claim_label([name], locale) for name in withheld)
        heading, explanation = WITHHELD["heading"][locale], None
        reason_line = WITHHELD["reason"][locale].format(claims=names)
    return join(
        tag(
            "section",
            tag("p", _VERDICT_ICONS.get(verdict, "?"), class_="verdict-icon", aria_hidden="true"),
            tag("h1", heading, id="verdict"),
            tag("p", tag("strong", reason_line), id="verdict-reason", class_="reason") if reason_line else None,
            tag("p", explanation) if explanation else None,
            class_="verdict withheld" if withheld is not None else f"verdict {verdict}",
            role="status",
            data_verdict=verdict,
        ),
        tag("p", note, class_="note") if note else None,
        _offline_section(shown, locale),
        _issuer_section(shown, locale),
        _claims_section(shown, locale, authentic=withheld is not None) if shown.get("claims") is not None else None,
        tag("section", tag("h2", _ui("checks_heading", locale)), tag("ol", checks, class_="checks"), class_="card"),
        tag(
            "section",
            tag("h2", _ui("about_heading", locale)),
            tag(
                "dl",
                tag(
                    "div",
                    tag("dt", _ui("trust_list_version", locale)),
                    tag("dd", _value(report.get("trust_list_version")), class_="trust-list-version"),
                ),
                tag("div", tag("dt", _ui("status_age", locale)), _status_line(shown, locale)),
                tag(
                    "div",
                    tag("dt", _ui("verified_at", locale)),
                    tag("dd", tag("bdi", _format_time(report.get("verified_at")))),
                ),
                tag("div", tag("dt", _ui("format", locale)), tag("dd", _value(report.get("profile") or "—"))),
                class_="facts",
            ),
            class_="card",
        ),
        tag("p", tag("a", _ui("again", locale), href=f"/?lang={locale}", class_="button")),
    )


def result_page(
    verification: Verification,
    *,
    locale: Locale,
    path: str,
    shared: tuple[datetime, datetime] | None = None,
    resubmit: Mapping[str, str] | None = None,
    note: str | None = None,
) -> str:
    """A live verification's result. ``shared`` (created, expires) for a share link; ``resubmit`` the fields to
    send again when the language is switched on a page that answered a POST."""
    report = report_json(verification.report, verification.trusted)
    if shared is not None:
        created, expires = shared
        note = _ui("shared_note", locale).format(
            created=created.strftime("%Y-%m-%d"), expires=expires.strftime("%Y-%m-%d")
        )
    return stored_result_page(report, locale=locale, path=path, note=note, resubmit=resubmit)


def stored_result_page(
    report: Mapping[str, Any],
    *,
    locale: Locale,
    path: str,
    note: str | None = None,
    resubmit: Mapping[str, str] | None = None,
) -> str:
    """A result from its JSON form (a stored OpenID4VP result, or a fresh one)."""
    verdict = str(report.get("verdict", "indeterminate"))
    switch = _language_forms(locale, resubmit, path) if resubmit is not None else _language_links(locale, path)
    return layout(
        locale=locale,
        title=VERDICTS[verdict][locale],
        body=result_body(report, locale=locale, note=note),
        switch=switch,
    )


def gone_page(*, locale: Locale, code: str, path: str) -> str:
    """A share link that expired, was withdrawn, or never existed."""
    reason = {"share.revoked": "gone_revoked", "share.expired": "gone_expired"}.get(code, "gone_unknown")
    body = join(
        tag(
            "section",
            tag("p", "⌛", class_="verdict-icon", aria_hidden="true"),
            tag("h1", _ui("gone_heading", locale)),
            tag("p", _ui(reason, locale), id="gone-reason"),
            tag("p", _ui("gone_advice", locale)),
            class_="verdict gone",
            role="status",
        ),
        tag("p", tag("a", _ui("again", locale), href=f"/?lang={locale}", class_="button")),
    )
    return layout(locale=locale, title=_ui("gone_heading", locale), body=body, switch=_language_links(locale, path))


def error_page(*, locale: Locale, code: str, detail: str) -> str:
    """A request from the page that could not be carried out, with the reason in the page's language."""
    entry = lookup(code, PAGE_ERRORS)
    body = join(
        tag("h1", _ui("error_heading", locale)),
        tag("p", entry[locale] if entry is not None else detail, class_="error", role="alert"),
        tag("p", tag("a", _ui("back", locale), href=f"/?lang={locale}", class_="button")),
    )
    return layout(locale=locale, title=_ui("error_heading", locale), body=body, switch=_language_links(locale, "/"))


def waiting_page(
    *, locale: Locale, transaction_id: str, authorization_request: str, expires_at: datetime, claims: Sequence[str]
) -> str:
    """The OpenID4VP QR code, updated by ``static/oid4vp.js`` until the wallet answers."""
    base = f"/oid4vp/requests/{transaction_id}"
    body = join(
        tag("h1", _ui("wait_heading", locale)),
        tag(
            "figure",
            tag("img", src=f"{base}/qr.svg", alt=_ui("wait_qr_alt", locale), width=320, height=320, class_="qr"),
            class_="qr",
        ),
        tag("p", tag("a", _ui("wait_same_device", locale), href=authorization_request, class_="button")),
        tag(
            "p",
            _ui("wait_pending", locale),
            id="oid4vp-status",
            role="status",
            aria_live="polite",
            data_status_url=base,
            data_result_url=f"/oid4vp/{transaction_id}/result?lang={locale}",
            data_retrieved=_ui("wait_retrieved", locale),
            data_answered=_ui("wait_answered", locale),
            data_failed=_ui("wait_failed", locale),
            data_expired=_ui("wait_expired", locale),
        ),
        tag("p", _ui("wait_expires", locale), " ", tag("bdi", expires_at.strftime("%H:%M UTC")), class_="hint"),
        tag(
            "section",
            tag("h2", _ui("wallet_claims", locale)),
            tag("ul", [tag("li", schemas.claim_label([name], locale)) for name in claims], class_="plain"),
            class_="card",
        ),
        tag("p", tag("a", _ui("wait_result", locale), href=f"/oid4vp/{transaction_id}/result?lang={locale}")),
        tag("script", "", src="/static/oid4vp.js", defer=True),
    )
    path = f"/oid4vp/{transaction_id}"
    return layout(locale=locale, title=_ui("wait_heading", locale), body=body, switch=_language_links(locale, path))
