"""The complaint pages: the section of the results page where a candidate files a complaint about a mark and follows
each one, the page with the corrected diploma's wallet offer, and the academy reviewers' queue with its confirmation
step. Built like :mod:`portal.pages` (escaped by :mod:`common.html`, every form with the session's CSRF token) from
plain view values the routes make, so this module knows nothing of the database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from common.html import Markup, Template, join, slot, tag
from portal.complaint_messages import COMPLAINT_UI
from portal.messages import UI, Locale
from portal.pages import Viewer, _form, _notice, _value, layout, local_time

#: Where the session's complaint window stands at the page's instant.
WindowState = Literal["not_scheduled", "before", "open", "closed"]
KIND_KEYS: Final = ("wrong_sum", "unmarked_part", "transcription")


def _ui(key: str, locale: Locale) -> str:
    return COMPLAINT_UI[key][locale]


@functools.lru_cache(maxsize=64)
def _moment(text_key: str, moment: datetime, locale: Locale) -> str:
    local = local_time(moment)
    return _ui(text_key, locale).format(date=local.strftime("%Y-%m-%d"), time=local.strftime("%H:%M"))


@dataclass(frozen=True)
class ComplaintView:
    """A complaint as its candidate or a reviewer reads it (marks as ``12.50``)."""

    id: int
    subject: str
    exam: str
    kind: str
    comment: str
    state: str  # received | under_review | upheld | rejected
    original_mark: str
    new_mark: str | None
    reason: str | None
    #: For reviewers: whose it is (name and Massar code) and the exam centre's code, else empty.
    candidate: str = ""
    centre: str = ""


@dataclass(frozen=True)
class WindowView:
    state: WindowState
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def _kind(kind: str, locale: Locale) -> str:
    return _ui(f"complaint_kind_{kind}", locale) if kind in KIND_KEYS else kind


def _facts(item: ComplaintView, locale: Locale, *, reviewer: bool) -> Markup:
    def row(label: str, value: str, direction: str | None = None) -> Markup:
        return tag("div", tag("dt", label), tag("dd", _value(value, direction=direction)))

    return tag(
        "dl",
        row(_ui("staff_centre", locale), item.centre, "ltr") if reviewer and item.centre else None,
        row(_ui("complaint_kind", locale), _kind(item.kind, locale)),
        row(_ui("original_mark", locale), f"{item.original_mark} / 20", "ltr"),
        row(_ui("new_mark", locale), f"{item.new_mark} / 20", "ltr") if item.new_mark is not None else None,
        row(_ui("complaint_comment", locale), item.comment),
        row(_ui("complaint_reason", locale), item.reason) if item.reason else None,
        class_="facts",
    )


def _state(item: ComplaintView, locale: Locale) -> Markup:
    return tag("span", _ui(f"complaint_state_{item.state}", locale), class_=f"outcome {item.state}")


def complaints_section(
    *,
    locale: Locale,
    viewer: Viewer,
    window: WindowView,
    subjects: Sequence[tuple[str, str]],
    complaints: Sequence[ComplaintView],
    corrected: str | None,
    notice: str | None = None,
) -> Markup:
    """The results page's complaint section: the window, the form while it is open (``subjects``: the (code,
    label) pairs still open to a complaint), each complaint's state, and after a correction what became of the
    diploma (``corrected``: ``superseded`` or ``first_diploma`` offers the new one to the wallet, ``revoked``).

    It shows on every results page of the peak: the section and the form are templates built once per language
    with :func:`tag` (:class:`common.html.Template`, every value escaped the same way)."""
    if window.state == "open" and window.closes_at is not None:
        status = _moment("complaints_open_until", window.closes_at, locale)
    elif window.state == "before" and window.opens_at is not None:
        status = _moment("complaints_opens_on", window.opens_at, locale)
    elif window.state == "closed" and window.closes_at is not None:
        status = _moment("complaints_closed_on", window.closes_at, locale)
    else:
        status = _ui("complaints_not_scheduled", locale)
    form = Markup("")
    if window.state == "open" and subjects:
        form = _complaint_form(locale).fill(csrf_token=viewer.csrf_token, options=_options(tuple(subjects)))
    elif window.state == "open":
        form = tag("p", _ui("complaints_all_filed", locale), class_="hint")
    items = [
        tag(
            "li",
            tag("p", tag("strong", _value(item.subject)), " — ", _state(item, locale)),
            _facts(item, locale, reviewer=False),
            class_=f"complaint {item.state}",
            data_complaint=str(item.id),
            data_state=item.state,
        )
        for item in complaints
    ]
    after = None
    if corrected in ("superseded", "first_diploma"):
        after = tag(
            "div",
            tag("p", _ui("diploma_corrected", locale)),
            _form(
                tag("button", _ui("offer_button", locale), type="submit", id="new-offer"),
                action="/results/offer",
                viewer=viewer,
                locale=locale,
            ),
            class_="notice corrected",
            id="corrected",
            data_outcome=corrected,
        )
    elif corrected == "revoked":
        after = tag("p", _ui("diploma_revoked", locale), class_="notice", id="corrected", data_outcome=corrected)
    return _section(locale).fill(
        notice=_notice(notice) or Markup(""),
        after=after or Markup(""),
        items=join(tag("h3", _ui("my_complaints", locale)), tag("ul", items, class_="plain complaints"))
        if items
        else Markup(""),
        status=status,
        window=window.state,
        form=form,
    )


@functools.lru_cache(maxsize=256)
def _options(subjects: tuple[tuple[str, str], ...]) -> Markup:
    """The subject choices of the complaint form: (code, label) pairs of the rules file, so kept per list."""
    return join([tag("option", label, value=code) for code, label in subjects])


@functools.cache
def _section(locale: Locale) -> Template:
    """The complaint section around its parts (slots ``notice``, ``after``, ``items``, ``status``, ``window``,
    ``form``)."""
    return Template(
        tag(
            "section",
            tag("h2", _ui("complaints_heading", locale), id="complaints-heading"),
            slot("notice"),
            slot("after"),
            tag("p", _ui("complaints_lead", locale), class_="hint"),
            slot("items"),
            tag("p", slot("status"), id="complaint-window", data_window=slot("window")),
            slot("form"),
            class_="card",
            id="complaints",
            aria_labelledby="complaints-heading",
        )
    )


@functools.cache
def _complaint_form(locale: Locale) -> Template:
    """The complaint form (slots ``csrf_token`` and ``options``, the subjects still open to a complaint)."""
    marked = Viewer(display_name="", display_name_ar="", csrf_token=slot("csrf_token"))
    return Template(
        _form(
            tag("label", _ui("complaint_subject", locale), for_="complaint-subject"),
            tag("select", slot("options"), id="complaint-subject", name="subject", required=True),
            tag(
                "fieldset",
                tag("legend", _ui("complaint_kind", locale)),
                [
                    tag(
                        "label",
                        tag("input", type="radio", name="kind", value=kind, required=True),
                        " ",
                        _kind(kind, locale),
                        class_="choice",
                    )
                    for kind in KIND_KEYS
                ],
            ),
            tag("label", _ui("complaint_comment", locale), for_="complaint-comment"),
            tag(
                "textarea",
                "",
                id="complaint-comment",
                name="comment",
                rows=3,
                maxlength=1000,
                required=True,
                dir="auto",
                aria_describedby="complaint-hint",
            ),
            tag("p", _ui("complaint_hint", locale), id="complaint-hint", class_="hint"),
            tag("button", _ui("complaint_button", locale), type="submit", id="file-complaint"),
            action="/results/complaints",
            viewer=marked,
            locale=locale,
            class_="complaint",
        )
    )


def offer_page(
    *, locale: Locale, viewer: Viewer, offer_uri: str, qr_svg: bytes, tx_code: str, expires_at: datetime
) -> str:
    """The corrected diploma's wallet offer: its QR code and link, and the PIN beside it (shown once, never kept)."""
    title = _ui("offer_heading", locale)
    svg = qr_svg.decode("utf-8")
    svg = svg[svg.index("<svg") :]  # segno's SVG is trusted markup; the XML declaration cannot sit in HTML
    body = join(
        tag("h1", title),
        tag(
            "section",
            tag("p", _ui("offer_lead", locale)),
            tag("div", Markup(svg), class_="qr", id="offer-qr", role="img", aria_label=_ui("offer_link", locale)),
            tag("p", tag("a", _ui("offer_link", locale), href=offer_uri, id="offer-link", class_="button")),
            tag(
                "p",
                _ui("offer_pin", locale),
                ": ",
                tag("strong", _value(tx_code, direction="ltr"), id="offer-pin", class_="pin"),
            ),
            tag("p", _moment_time("offer_expires", expires_at, locale), class_="hint"),
            class_="card",
        ),
        tag("p", tag("a", _ui("offer_back", locale), href=f"/results?lang={locale}")),
    )
    return layout(locale=locale, title=title, body=body, path="/results", viewer=viewer)


def _moment_time(text_key: str, moment: datetime, locale: Locale) -> str:
    return _ui(text_key, locale).format(time=local_time(moment).strftime("%Y-%m-%d %H:%M"))


def staff_complaints_page(
    *,
    locale: Locale,
    viewer: Viewer,
    scopes: Sequence[str],
    queue: Sequence[ComplaintView],
    subject: str,
    centre: str,
    notice: str | None,
) -> str:
    """An academy reviewer's queue (filtered by subject and centre): each complaint with the original mark, the
    start of the review, and the decision form (its confirmation comes next)."""
    title = _ui("staff_complaints_heading", locale)
    filters = tag(
        "form",
        tag("input", type="hidden", name="lang", value=locale),
        tag("label", _ui("staff_filter_subject", locale), for_="filter-subject"),
        tag("input", type="text", id="filter-subject", name="subject", value=subject, maxlength=20, dir="ltr"),
        tag("label", _ui("staff_filter_centre", locale), for_="filter-centre"),
        tag("input", type="text", id="filter-centre", name="centre", value=centre, maxlength=40, dir="ltr"),
        tag("button", _ui("staff_filter", locale), type="submit", class_="secondary-plain"),
        method="get",
        action="/staff/complaints",
        class_="card filters",
    )
    items = []
    for item in queue:
        mark_id, reason_id = f"mark-{item.id}", f"reason-{item.id}"
        start = (
            _form(
                tag("button", _ui("staff_start_review", locale), type="submit", class_="plain-button"),
                action=f"/staff/complaints/{item.id}/review",
                viewer=viewer,
                locale=locale,
            )
            if item.state == "received"
            else None
        )
        items.append(
            tag(
                "li",
                tag("h2", tag("bdi", item.candidate), " — ", _value(item.subject)),
                tag("p", _state(item, locale)),
                _facts(item, locale, reviewer=True),
                start,
                _form(
                    tag("label", _ui("staff_corrected_mark", locale), for_=mark_id),
                    tag(
                        "input",
                        type="text",
                        id=mark_id,
                        name="new_mark",
                        inputmode="decimal",
                        maxlength=5,
                        dir="ltr",
                        autocomplete="off",
                    ),
                    tag("label", _ui("staff_decision_reason", locale), for_=reason_id),
                    tag("textarea", "", id=reason_id, name="reason", rows=2, maxlength=1000, dir="auto"),
                    tag("button", _ui("staff_uphold", locale), type="submit", name="decision", value="uphold"),
                    " ",
                    tag(
                        "button",
                        _ui("staff_reject", locale),
                        type="submit",
                        name="decision",
                        value="reject",
                        class_="secondary",
                    ),
                    action=f"/staff/complaints/{item.id}/decide",
                    viewer=viewer,
                    locale=locale,
                ),
                class_="card complaint",
                data_complaint=str(item.id),
                data_state=item.state,
            )
        )
    body = join(
        tag("h1", title),
        _notice(notice),
        tag("p", UI["staff_scope"][locale], ": ", tag("bdi", ", ".join(scopes)), class_="hint"),
        filters,
        tag("ul", items, class_="plain queue")
        if items
        else tag("p", _ui("staff_complaints_empty", locale), id="queue-empty"),
    )
    return layout(locale=locale, title=title, body=body, path="/staff/complaints", viewer=viewer)


def confirm_page(
    *, locale: Locale, viewer: Viewer, item: ComplaintView, uphold: bool, new_mark: str, reason: str
) -> str:
    """The last step of a decision: whom it touches, what it does, and the confirmation (the same fields again,
    with ``confirm``)."""
    title = _ui("staff_confirm_heading", locale)
    decision = _ui("staff_uphold" if uphold else "staff_reject", locale)
    body = join(
        tag("h1", title),
        tag("p", _ui("staff_confirm_lead", locale), class_="lead", role="alert"),
        tag(
            "section",
            tag("h2", tag("bdi", item.candidate), " — ", _value(item.subject), id="confirm-whom"),
            _facts(item, locale, reviewer=True),
            tag(
                "dl",
                tag("div", tag("dt", _ui("staff_decision", locale)), tag("dd", decision, id="confirm-decision")),
                tag("div", tag("dt", _ui("new_mark", locale)), tag("dd", _value(f"{new_mark} / 20", direction="ltr")))
                if uphold
                else None,
                tag("div", tag("dt", _ui("complaint_reason", locale)), tag("dd", _value(reason))),
                class_="facts",
            ),
            tag("p", _ui("staff_confirm_uphold" if uphold else "staff_confirm_reject", locale), class_="hint"),
            _form(
                tag("input", type="hidden", name="decision", value="uphold" if uphold else "reject"),
                tag("input", type="hidden", name="new_mark", value=new_mark),
                tag("input", type="hidden", name="reason", value=reason),
                tag("input", type="hidden", name="confirm", value="yes"),
                tag("button", _ui("staff_confirm_button", locale), type="submit", id="confirm-decision-button"),
                action=f"/staff/complaints/{item.id}/decide",
                viewer=viewer,
                locale=locale,
            ),
            tag("p", tag("a", _ui("staff_cancel", locale), href=f"/staff/complaints?lang={locale}")),
            class_="card",
            data_complaint=str(item.id),
        ),
    )
    return layout(locale=locale, title=title, body=body, path="/staff/complaints", viewer=viewer)
