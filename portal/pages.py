"""The portal's pages, server-rendered: Arabic (right-to-left, the default) and French.

Mobile first and accessible, like the verifier's page: ``lang`` and ``dir`` on the document, a skip link, one
``h1`` per page, labelled form controls, outcomes announced as status regions, and every value taken from the
registry isolated in ``<bdi>`` so that a Latin name reads right inside Arabic text and the reverse. Every value
is escaped by :mod:`common.html`. Every form carries the session's CSRF token (:func:`_form`). The pages take
plain view values (:class:`Field`, :class:`CorrectionView`, :class:`ResultView`…) built by the routes from the
exam year's records, so this module knows nothing of the database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from common.html import Child, Markup, Template, escape, join, slot, tag
from portal.messages import DIRECTION, LANGUAGE_NAMES, LOCALES, UI, Locale, error_text

#: Times are shown as Morocco's legal time (the announcement is given in it).
MOROCCO: Final = ZoneInfo("Africa/Casablanca")
_DECISION_CLASS: Final = {"admitted": "valid", "catch_up": "indeterminate", "not_admitted": "invalid"}


def _ui(key: str, locale: Locale) -> str:
    return UI[key][locale]


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: their name as the eID gave it, the CSRF token of their forms, their staff role."""

    display_name: str
    display_name_ar: str
    csrf_token: str
    is_staff: bool = False


@dataclass(frozen=True)
class Field:
    """One registry value shown to its candidate: its name, label, value, and the writing direction of the value."""

    name: str
    label: str
    value: str
    direction: str | None = None


@dataclass(frozen=True)
class CorrectionView:
    """A correction request as its candidate or a reviewer sees it."""

    id: int
    field_label: str
    current: str
    proposed: str
    comment: str
    status: str  # pending | accepted | refused
    reason: str | None
    requested_at: datetime
    #: For reviewers: whose it is (name and Massar code), else empty.
    candidate: str = ""


@dataclass(frozen=True)
class MarkView:
    subject: str
    component: str
    coefficient: str
    mark: str


@dataclass(frozen=True)
class ResultView:
    decision: str  # admitted | catch_up | not_admitted
    average: str
    mention: str | None
    marks: Sequence[MarkView]
    catch_up: str | None = None


def local_time(moment: datetime) -> datetime:
    """``moment`` in Morocco's legal time."""
    return moment.astimezone(MOROCCO)


def _value(value: str, *, direction: str | None = None) -> Markup:
    return tag("bdi", value, dir=direction)


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


def _form(*children: Child, action: str, viewer: Viewer, locale: Locale, class_: str | None = None) -> Markup:
    """A POST form of the portal: the session's CSRF token and the page language travel with it."""
    return tag(
        "form",
        tag("input", type="hidden", name="csrf_token", value=viewer.csrf_token),
        tag("input", type="hidden", name="lang", value=locale),
        *children,
        method="post",
        action=action,
        class_=class_,
    )


#: Where a cached frame is cut: the parts that change per request go there.
_MARK: Final = "\x00"


def _account(viewer: Viewer | None, locale: Locale, path: str) -> Markup | None:
    """The account block: who is logged in, the logout form and the menu. Only the name and the CSRF token change
    per request; the rest comes from :func:`_account_frame`."""
    if viewer is None:
        return None
    name = viewer.display_name_ar if locale == "ar" and viewer.display_name_ar else viewer.display_name
    before, between, after = _account_frame(locale, path, viewer.is_staff)
    return Markup(f"{before}{escape(name)}{between}{escape(viewer.csrf_token)}{after}")


@functools.lru_cache(maxsize=256)
def _account_frame(locale: Locale, path: str, is_staff: bool) -> tuple[str, str, str]:
    """The account block around the name and the CSRF token (up to the name, between them, after the token); built
    with :func:`tag` like the rest, once per language, path and staff menu."""
    links = [
        ("/me", "nav_data"),
        ("/convocation", "nav_convocation"),
        ("/results", "nav_results"),
        ("/scholarship", "nav_scholarship"),
        ("/diploma", "nav_diploma"),
    ]
    if is_staff:
        links.append(("/staff", "nav_staff"))
    items = [
        tag(
            "li",
            tag("a", _ui(key, locale), href=f"{href}?lang={locale}", aria_current="page" if href == path else None),
        )
        for href, key in links
    ]
    marked = Viewer(display_name=_MARK, display_name_ar=_MARK, csrf_token=_MARK, is_staff=is_staff)
    block = tag(
        "div",
        tag("p", _ui("logged_in_as", locale), " ", tag("strong", _value(Markup(_MARK))), class_="who"),
        _form(
            tag("button", _ui("logout_button", locale), type="submit", class_="link"),
            action="/logout",
            viewer=marked,
            locale=locale,
            class_="logout",
        ),
        tag("nav", tag("ul", items, class_="menu"), aria_label=_ui("menu", locale)),
        class_="account",
    )
    before, between, after = block.split(_MARK)
    return before, between, after


@functools.lru_cache(maxsize=256)
def _frame(locale: Locale, title: str, path: str) -> tuple[str, str, str]:
    """The document around a page's account block and body, which are the only parts that change per request:
    (up to the account block, from it to the body, after the body). Built with :func:`tag` like the rest, once
    per language, title and path."""
    document = "<!doctype html>\n" + tag(
        "html",
        tag(
            "head",
            tag("meta", charset="utf-8"),
            tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
            tag("meta", name="color-scheme", content="light"),
            tag("title", f"{title} — {_ui('site_title', locale)}"),
            tag("link", rel="stylesheet", href="/static/portal.css"),
        ),
        tag(
            "body",
            tag("a", _ui("skip", locale), href="#main", class_="skip"),
            tag(
                "header",
                tag(
                    "p",
                    tag(
                        "a", tag("span", "توثيق", lang="ar"), " · ", _ui("site_title", locale), href=f"/?lang={locale}"
                    ),
                    class_="brand",
                ),
                _language_links(locale, path),
                Markup(_MARK),
                class_="site",
            ),
            tag("main", Markup(_MARK), id="main"),
            tag("footer", tag("p", _ui("footer", locale)), class_="site"),
        ),
        lang=locale,
        dir=DIRECTION[locale],
    )
    before, between, after = document.split(_MARK)
    return before, between, after


def layout(*, locale: Locale, title: str, body: Markup, path: str, viewer: Viewer | None) -> str:
    """The whole document around ``body``; ``path`` is the page's own (for the language links and the menu)."""
    before, between, after = _frame(locale, title, path)
    return f"{before}{_account(viewer, locale, path) or ''}{between}{body}{after}"


def welcome_page(*, locale: Locale, viewer: Viewer | None) -> str:
    """The only page open without a login: what the portal is for, and the way in."""
    action = (
        tag("p", tag("a", _ui("nav_data", locale), href=f"/me?lang={locale}", class_="button"))
        if viewer is not None
        else tag("p", tag("a", _ui("login_button", locale), href=f"/login?lang={locale}", class_="button", id="login"))
    )
    body = join(
        tag("h1", _ui("welcome_heading", locale)),
        tag("p", _ui("welcome_lead", locale), class_="lead"),
        tag("section", tag("p", _ui("welcome_how", locale)), action, class_="card"),
    )
    return layout(locale=locale, title=_ui("welcome_heading", locale), body=body, path="/", viewer=viewer)


def _notice(text: str | None) -> Markup | None:
    return tag("p", text, class_="notice", role="status") if text else None


def _corrections(corrections: Sequence[CorrectionView], locale: Locale) -> Markup | None:
    if not corrections:
        return None
    items = []
    for item in corrections:
        items.append(
            tag(
                "li",
                tag(
                    "p",
                    tag("strong", item.field_label),
                    " — ",
                    tag("span", _ui(f"correction_{item.status}", locale), class_=f"outcome {item.status}"),
                ),
                tag(
                    "dl",
                    tag("div", tag("dt", _ui("current_value", locale)), tag("dd", _value(item.current))),
                    tag("div", tag("dt", _ui("proposed_value", locale)), tag("dd", _value(item.proposed))),
                    tag("div", tag("dt", _ui("comment", locale)), tag("dd", _value(item.comment)))
                    if item.comment
                    else None,
                    tag("div", tag("dt", _ui("correction_reason", locale)), tag("dd", _value(item.reason)))
                    if item.reason
                    else None,
                    class_="facts",
                ),
                class_=f"correction {item.status}",
                data_status=item.status,
            )
        )
    return tag(
        "section",
        tag("h2", _ui("corrections_heading", locale)),
        tag("ul", items, class_="plain corrections"),
        class_="card",
        id="corrections",
    )


def data_page(
    *,
    locale: Locale,
    viewer: Viewer,
    session_name: str,
    fields: Sequence[Field] | None,
    state: str | None,
    contestable: Sequence[tuple[str, str]],
    corrections: Sequence[CorrectionView],
    notice: str | None = None,
) -> str:
    """The candidate's registry data, its state, the confirm and correction forms, and past corrections.

    ``fields`` is None when the candidate is not registered for the session; ``contestable`` the (name, label)
    pairs of the fields a correction may be asked for.
    """
    title = _ui("data_heading", locale)
    if fields is None:
        body = join(
            tag("h1", title),
            tag("p", _ui("data_not_registered", locale).format(session=session_name), role="status", id="state"),
        )
        return layout(locale=locale, title=title, body=body, path="/me", viewer=viewer)
    rows = [
        tag("div", tag("dt", item.label), tag("dd", _value(item.value, direction=item.direction)), data_field=item.name)
        for item in fields
    ]
    can_act = state in ("unconfirmed", "corrections_pending", "settled", "confirmed")
    confirm = (
        tag(
            "section",
            tag("h2", _ui("confirm_heading", locale)),
            tag("p", _ui("confirm_lead", locale)),
            _form(
                tag("button", _ui("confirm_button", locale), type="submit", id="confirm"),
                action="/me/confirm",
                viewer=viewer,
                locale=locale,
            ),
            class_="card",
        )
        if state == "unconfirmed"
        else None
    )
    options = [tag("option", label, value=name) for name, label in contestable]
    correction = (
        tag(
            "section",
            tag("h2", _ui("correction_heading", locale), id="correction-heading"),
            _form(
                tag("label", _ui("correction_field", locale), for_="field"),
                tag("select", options, id="field", name="field", required=True),
                tag("label", _ui("correction_proposed", locale), for_="proposed"),
                tag(
                    "input",
                    type="text",
                    id="proposed",
                    name="proposed",
                    required=True,
                    maxlength=200,
                    autocomplete="off",
                    dir="auto",
                ),
                tag("label", _ui("correction_comment", locale), for_="comment"),
                tag(
                    "textarea",
                    "",
                    id="comment",
                    name="comment",
                    rows=3,
                    maxlength=1000,
                    dir="auto",
                    aria_describedby="correction-hint",
                ),
                tag("p", _ui("correction_hint", locale), id="correction-hint", class_="hint"),
                tag("button", _ui("correction_button", locale), type="submit", id="request-correction"),
                action="/me/corrections",
                viewer=viewer,
                locale=locale,
            ),
            class_="card",
            aria_labelledby="correction-heading",
        )
        if can_act and state != "confirmed" and contestable
        else None
    )
    body = join(
        tag("h1", title),
        _notice(notice),
        tag("p", _ui("data_lead", locale), class_="lead"),
        tag(
            "p",
            _ui("state_label", locale),
            ": ",
            tag("strong", _ui(f"state_{state}", locale)),
            id="state",
            data_state=state,
            role="status",
        ),
        tag("section", tag("dl", rows, class_="facts registry"), class_="card"),
        confirm,
        correction,
        _corrections(corrections, locale),
    )
    return layout(locale=locale, title=title, body=body, path="/me", viewer=viewer)


def convocation_page(*, locale: Locale, viewer: Viewer, ready: bool) -> str:
    """Whether the convocation can be had yet, and the download when it can."""
    title = _ui("convocation_heading", locale)
    if not ready:
        content = tag("p", _ui("convocation_not_ready", locale), id="convocation-state", data_ready="false")
    else:
        content = join(
            tag("p", _ui("convocation_ready", locale), id="convocation-state", data_ready="true"),
            tag(
                "p",
                tag(
                    "a",
                    _ui("convocation_button", locale),
                    href="/convocation.pdf",
                    class_="button",
                    id="download",
                    download="convocation.pdf",
                    type="application/pdf",
                ),
            ),
        )
    body = join(tag("h1", title), tag("section", content, class_="card"))
    return layout(locale=locale, title=title, body=body, path="/convocation", viewer=viewer)


def results_pending_page(*, locale: Locale, viewer: Viewer, announced_at: datetime | None) -> str:
    """Before the announcement: the same page for every candidate, whatever their result, saying only when."""
    title = _ui("results_heading", locale)
    if announced_at is None:
        text = _ui("results_not_scheduled", locale)
    else:
        moment = local_time(announced_at)
        text = _ui("results_announced_on", locale).format(
            date=moment.strftime("%Y-%m-%d"), time=moment.strftime("%H:%M:%S")
        )
    body = join(
        tag("h1", title),
        tag(
            "section",
            tag("p", text, id="announcement"),
            class_="verdict pending",
            role="status",
            data_decision="pending",
        ),
    )
    return layout(locale=locale, title=title, body=body, path="/results", viewer=viewer)


def result_page(*, locale: Locale, viewer: Viewer, result: ResultView | None, complaints: Markup | None = None) -> str:
    """From the announced instant: the decision, average, mention and marks per subject; then ``complaints``, the
    complaint section (:mod:`portal.complaint_pages`).

    Results day is the portal's peak: the page is filled into templates built once with :func:`tag`
    (:class:`common.html.Template`, every value escaped the same way), per language and per shape of the verdict."""
    title = _ui("results_heading", locale)
    if result is None:
        body = join(tag("h1", title), tag("p", _ui("results_none", locale), id="announcement", role="status"))
        return layout(locale=locale, title=title, body=body, path="/results", viewer=viewer)
    values: dict[str, Markup | str] = {
        "average": result.average,
        "marks": join(
            [_mark_row(mark.subject, mark.component, mark.coefficient).fill(mark=mark.mark) for mark in result.marks]
        ),
        "complaints": complaints or Markup(""),
    }
    if result.mention:
        values["mention"] = result.mention
    if result.catch_up:
        values["catch_up"] = result.catch_up
    body = _result_body(locale, result.decision, bool(result.mention), bool(result.catch_up)).fill(**values)
    return layout(locale=locale, title=title, body=body, path="/results", viewer=viewer)


_MARK_COLUMNS: Final = ("subject", "coefficient", "mark")


@functools.lru_cache(maxsize=512)
def _mark_row(subject: str, component: str, coefficient: str) -> Template:
    """A row of the marks table around its mark (slot ``mark``); the subject, the exam and the coefficient are the rules
    file's, so a row's template is kept per subject and exam (labels and numbers: nothing a person typed, so no
    ``<bdi>``)."""
    return Template(
        tag(
            "tr",
            tag("th", subject, tag("span", component, class_="component"), scope="row"),
            tag("td", coefficient, dir="ltr"),
            tag("td", slot("mark"), dir="ltr"),
        )
    )


@functools.lru_cache(maxsize=64)
def _result_body(locale: Locale, decision: str, mention: bool, catch_up: bool) -> Template:
    """The result page's body for a language, a decision and whether a mention and a catch-up outcome show; its
    slots: ``average``, ``mention``, ``catch_up`` (when shown), ``marks`` (the rows) and ``complaints``."""
    return Template(
        join(
            tag("h1", _ui("results_heading", locale)),
            tag(
                "section",
                tag("p", _ui("decision", locale), class_="label"),
                tag("p", tag("strong", _ui(f"decision_{decision}", locale)), id="decision"),
                tag(
                    "dl",
                    tag(
                        "div",
                        tag("dt", _ui("average", locale)),
                        tag("dd", _value(slot("average"), direction="ltr"), id="average"),
                    ),
                    tag("div", tag("dt", _ui("mention", locale)), tag("dd", _value(slot("mention")), id="mention"))
                    if mention
                    else None,
                    tag("div", tag("dt", _ui("catch_up_outcome", locale)), tag("dd", _value(slot("catch_up"))))
                    if catch_up
                    else None,
                    class_="facts",
                ),
                class_=f"verdict {_DECISION_CLASS.get(decision, 'indeterminate')}",
                role="status",
                data_decision=decision,
            ),
            tag(
                "section",
                tag("h2", _ui("marks_heading", locale), id="marks-heading"),
                tag(
                    "div",
                    tag(
                        "table",
                        tag(
                            "thead",
                            tag(
                                "tr",
                                [tag("th", _ui(key, locale), scope="col") for key in _MARK_COLUMNS],
                            ),
                        ),
                        tag("tbody", slot("marks")),
                        class_="marks",
                        aria_labelledby="marks-heading",
                    ),
                    class_="scroll",
                ),
                class_="card",
            ),
            slot("complaints"),
        )
    )


def staff_page(
    *, locale: Locale, viewer: Viewer, scopes: Sequence[str], queue: Sequence[CorrectionView], notice: str | None
) -> str:
    """A reviewer's queue: each pending correction with accept and refuse (a reason required to refuse)."""
    title = _ui("staff_heading", locale)
    items = []
    for item in queue:
        reason_id = f"reason-{item.id}"
        items.append(
            tag(
                "li",
                tag("h2", tag("bdi", item.candidate), " — ", item.field_label),
                tag(
                    "dl",
                    tag("div", tag("dt", _ui("current_value", locale)), tag("dd", _value(item.current))),
                    tag("div", tag("dt", _ui("proposed_value", locale)), tag("dd", _value(item.proposed))),
                    tag("div", tag("dt", _ui("comment", locale)), tag("dd", _value(item.comment)))
                    if item.comment
                    else None,
                    class_="facts",
                ),
                _form(
                    tag("label", _ui("staff_reason", locale), for_=reason_id),
                    tag("input", type="text", id=reason_id, name="reason", maxlength=500, dir="auto"),
                    tag("button", _ui("staff_accept", locale), type="submit", name="decision", value="accept"),
                    " ",
                    tag(
                        "button",
                        _ui("staff_refuse", locale),
                        type="submit",
                        name="decision",
                        value="refuse",
                        class_="secondary",
                    ),
                    action=f"/staff/corrections/{item.id}",
                    viewer=viewer,
                    locale=locale,
                ),
                class_="card correction",
                data_correction=str(item.id),
            )
        )
    body = join(
        tag("h1", title),
        _notice(notice),
        tag("p", _ui("staff_scope", locale), ": ", tag("bdi", ", ".join(scopes)), class_="hint"),
        tag("p", tag("a", _ui("staff_complaints_link", locale), href=f"/staff/complaints?lang={locale}")),
        tag("ul", items, class_="plain queue") if items else tag("p", _ui("staff_empty", locale), id="queue-empty"),
    )
    return layout(locale=locale, title=title, body=body, path="/staff", viewer=viewer)


def error_page(*, locale: Locale, code: str, detail: str, viewer: Viewer | None, login: bool = False) -> str:
    """A refusal, in the page's language, with its stable code and (for the curious) the technical reason."""
    action = (
        tag("a", _ui("login_again", locale), href=f"/login?lang={locale}", class_="button")
        if login
        else tag("a", _ui("back", locale), href=f"/?lang={locale}", class_="button")
    )
    body = join(
        tag("h1", _ui("error_heading", locale)),
        tag("p", error_text(code)[locale], class_="error", role="alert", id="error", data_code=code),
        tag("details", tag("summary", code), tag("p", _value(detail, direction="ltr")), class_="technical"),
        tag("p", action),
    )
    return layout(locale=locale, title=_ui("error_heading", locale), body=body, path="/", viewer=viewer)
