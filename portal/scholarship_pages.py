"""The scholarship's pages: the graduate's application (draft, submission, state and reasons) and the officer's
queue, application and decision with its confirmation.

Built like :mod:`portal.pages` (whose layout they use): Arabic right-to-left by default and French, one ``h1``,
labelled controls, a refused field marked ``aria-invalid`` and tied to its message, outcomes as status regions,
registry values in ``<bdi>``, every form carrying the session's CSRF token. The pages take plain view values
(:class:`ApplicationView`) built by :mod:`portal.routes.scholarship`, and know nothing of the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from common.html import Child, Markup, join, tag
from portal.messages import Locale, T, error_text
from portal.pages import Viewer, layout


def _t(ar: str, fr: str) -> T:
    return {"ar": ar, "fr": fr}


#: The scholarship pages' words (the refusals' are in :data:`portal.messages.ERRORS`).
WORDS: Final[Mapping[str, T]] = {
    "heading": _t("طلب منحة التعليم العالي", "Demande de bourse d'études supérieures"),
    "lead": _t(
        "يمكن للحاصلين على البكالوريا في هذه الدورة طلب منحة التعليم العالي. احفظ طلبك كمسودة ثم أرسله مرة واحدة.",
        "Les bacheliers de cette session peuvent demander une bourse d'études supérieures. Enregistrez votre "
        "demande comme brouillon, puis déposez-la une seule fois.",
    ),
    "state": _t("حالة الطلب", "État de la demande"),
    "state_none": _t("لم يبدأ بعد", "Pas encore commencée"),
    "state_draft": _t("مسودة", "Brouillon"),
    "state_submitted": _t("مُرسَل، في انتظار الدراسة", "Déposée, en attente d'examen"),
    "state_under_review": _t("قيد الدراسة", "En cours d'examen"),
    "state_granted": _t("مقبول: مُنحت لك المنحة", "Accordée"),
    "state_refused": _t("مرفوض", "Refusée"),
    "family_situation": _t("الوضعية العائلية", "Situation familiale"),
    "income_bracket": _t("الدخل السنوي للأسرة", "Revenu annuel du foyer"),
    "siblings": _t("عدد الإخوة والأخوات في التعليم العالي", "Frères et sœurs dans l'enseignement supérieur"),
    "establishment": _t("المؤسسة التي تنوي التسجيل بها", "Établissement envisagé"),
    "choose": _t("— اختر —", "— Choisir —"),
    "form_hint": _t(
        "يمكن حفظ المسودة ناقصة؛ الإرسال يتطلب ملء جميع الخانات، ولا يمكن تعديل الطلب بعده.",
        "Le brouillon peut être incomplet ; le dépôt demande tous les champs, et la demande ne peut plus être "
        "modifiée ensuite.",
    ),
    "save_draft": _t("حفظ كمسودة", "Enregistrer le brouillon"),
    "submit": _t("إرسال الطلب", "Déposer la demande"),
    "done_draft": _t("تم حفظ المسودة.", "Brouillon enregistré."),
    "done_submitted": _t("تم إرسال طلبك.", "Votre demande est déposée."),
    "eligibility": _t("الأهلية حسب المعايير", "Éligibilité selon les critères"),
    "eligible": _t("مؤهل(ة)", "Éligible"),
    "not_eligible": _t("غير مؤهل(ة)", "Non éligible"),
    "income_eligible": _t("دخل الأسرة ضمن الشرائح المؤهلة.", "Le revenu du foyer est dans une tranche éligible."),
    "income_eligible_with_siblings": _t(
        "دخل الأسرة ضمن شريحة مؤهلة بالنظر إلى الإخوة والأخوات في التعليم العالي.",
        "Le revenu du foyer est éligible compte tenu des frères et sœurs dans l'enseignement supérieur.",
    ),
    "situation_eligible": _t(
        "الوضعية العائلية تخول المنحة كيفما كان الدخل.",
        "La situation familiale ouvre droit à la bourse quel que soit le revenu.",
    ),
    "income_too_high": _t("دخل الأسرة يفوق الشرائح المؤهلة.", "Le revenu du foyer dépasse les tranches éligibles."),
    "decision_reason": _t("سبب الرفض", "Motif du refus"),
    "not_admitted": _t(
        "لا يمكن طلب المنحة إلا للمترشحين الناجحين في دورة {session} بعد الإعلان عن النتائج.",
        "Seuls les candidats admis à la session {session}, une fois le résultat proclamé, peuvent demander la bourse.",
    ),
    "no registration in this session": _t(
        "لا يوجد تسجيل باسمك في هذه الدورة.", "Aucune inscription à votre nom pour cette session."
    ),
    "no announced result": _t("لم يُعلن عن نتيجتك بعد.", "Votre résultat n'est pas encore proclamé."),
    "a result other than admitted": _t("نتيجتك ليست «ناجح(ة)».", "Votre résultat n'est pas « admis(e) »."),
    "queue_heading": _t("طلبات منحة التعليم العالي", "Demandes de bourse d'études supérieures"),
    "province": _t("الإقليم (المديرية)", "Province (direction)"),
    "queue_empty": _t("لا توجد طلبات في الانتظار.", "Aucune demande en attente."),
    "open": _t("فتح الطلب", "Ouvrir la demande"),
    "application_heading": _t("طلب منحة", "Demande de bourse"),
    "applicant": _t("المترشح(ة)", "Candidat(e)"),
    "massar": _t("رمز مسار", "Code Massar"),
    "school": _t("المؤسسة الأصلية", "Établissement d'origine"),
    "start_review": _t("بدء دراسة الطلب", "Commencer l'examen"),
    "reviewing": _t("بدأت دراسة الطلب.", "Examen commencé."),
    "decide_heading": _t("القرار", "Décision"),
    "reason": _t("السبب (إلزامي عند الرفض)", "Motif (obligatoire pour un refus)"),
    "grant": _t("منح المنحة", "Accorder la bourse"),
    "refuse": _t("رفض الطلب", "Refuser la demande"),
    "grant_ineligible": _t(
        "المعايير لا تخول هذا الطلب المنحة: لا يمكن إلا رفضه.",
        "Les critères ne rendent pas cette demande éligible : elle ne peut qu'être refusée.",
    ),
    "confirm_heading": _t("تأكيد القرار", "Confirmer la décision"),
    "confirm_lead": _t("هذا القرار نهائي، ويخص:", "Cette décision est définitive et concerne :"),
    "confirm_grant": _t("تأكيد منح المنحة", "Confirmer l'attribution"),
    "confirm_refuse": _t("تأكيد الرفض", "Confirmer le refus"),
    "back": _t("رجوع دون قرار", "Revenir sans décider"),
    "decided": _t("تم تسجيل القرار.", "Décision enregistrée."),
    "technical": _t("التفاصيل", "Détails"),
}


def word(key: str, locale: Locale) -> str:
    return WORDS[key][locale]


@dataclass(frozen=True)
class Option:
    """A choice of a select: its code and label in the page's language."""

    code: str
    label: str


@dataclass(frozen=True)
class FormChoices:
    """What the form offers (from the rules file) and the most siblings it accepts."""

    family_situations: Sequence[Option]
    income_brackets: Sequence[Option]
    establishments: Sequence[Option]
    max_siblings: int


@dataclass(frozen=True)
class FieldError:
    """A refused field: its name, the explanation in the page's language, and the technical found/expected."""

    name: str
    text: str
    technical: str


@dataclass(frozen=True)
class ApplicationView:
    """An application as a page shows it: codes for the form, labels for reading."""

    id: int | None
    state: str  # none | draft | submitted | under_review | granted | refused
    values: Mapping[str, str]
    labels: Mapping[str, str]
    eligible: bool | None = None
    reasons: Sequence[str] = ()
    decision_reason: str | None = None
    #: For officers: the applicant's name, Massar code, school and province.
    applicant: str = ""
    massar_code: str = ""
    school: str = ""
    province: str = ""
    facts: Sequence[tuple[str, str]] = field(default_factory=tuple)


def _form(*children: Child, action: str, viewer: Viewer, locale: Locale, id_: str | None = None) -> Markup:
    return tag(
        "form",
        tag("input", type="hidden", name="csrf_token", value=viewer.csrf_token),
        tag("input", type="hidden", name="lang", value=locale),
        *children,
        method="post",
        action=action,
        id=id_,
    )


def _notice(text: str | None) -> Markup | None:
    return tag("p", text, class_="notice", role="status") if text else None


def _facts(rows: Sequence[tuple[str, str]]) -> Markup:
    return tag(
        "dl", [tag("div", tag("dt", name), tag("dd", tag("bdi", value))) for name, value in rows], class_="facts"
    )


def _state_line(state: str, locale: Locale) -> Markup:
    return tag(
        "p",
        word("state", locale),
        ": ",
        tag("strong", word(f"state_{state}", locale)),
        id="state",
        data_state=state,
        role="status",
    )


def _eligibility(view: ApplicationView, locale: Locale) -> Markup | None:
    if view.eligible is None:
        return None
    return tag(
        "section",
        tag("h2", word("eligibility", locale)),
        tag("p", tag("strong", word("eligible" if view.eligible else "not_eligible", locale))),
        tag("ul", [tag("li", word(reason, locale), data_reason=reason) for reason in view.reasons]),
        class_=f"verdict {'valid' if view.eligible else 'invalid'}",
        id="eligibility",
        data_eligible="true" if view.eligible else "false",
    )


def _error(error: FieldError | None, name: str) -> Markup | None:
    if error is None or error.name != name:
        return None
    return tag(
        "p",
        error.text,
        " ",
        tag("span", tag("bdi", error.technical, dir="ltr"), class_="hint"),
        class_="error",
        id=f"{name}-error",
        role="alert",
    )


def _select(
    name: str, options: Sequence[Option], view: ApplicationView, error: FieldError | None, locale: Locale
) -> Markup:
    invalid = error is not None and error.name == name
    return join(
        tag("label", word(name, locale), for_=name),
        tag(
            "select",
            tag("option", word("choose", locale), value=""),
            [
                tag("option", option.label, value=option.code, selected=view.values.get(name) == option.code)
                for option in options
            ],
            id=name,
            name=name,
            aria_invalid="true" if invalid else None,
            aria_describedby=f"{name}-error" if invalid else None,
        ),
        _error(error, name),
    )


def application_page(
    *,
    locale: Locale,
    viewer: Viewer,
    view: ApplicationView,
    choices: FormChoices,
    notice: str | None = None,
    error: FieldError | None = None,
) -> str:
    """The applicant's page: the form while a draft (or none), else the submitted answers, the eligibility and the
    state; a refused field is shown beside its control with what was found and expected."""
    title = word("heading", locale)
    if view.state in ("none", "draft"):
        invalid = error is not None and error.name == "siblings"
        general = (
            error
            if error is not None
            and error.name not in ("family_situation", "income_bracket", "siblings", "establishment")
            else None
        )
        content: Markup = tag(
            "section",
            _form(
                tag("p", general.text, " ", tag("bdi", general.technical, dir="ltr"), class_="error", role="alert")
                if general is not None
                else None,
                _select("family_situation", choices.family_situations, view, error, locale),
                _select("income_bracket", choices.income_brackets, view, error, locale),
                tag("label", word("siblings", locale), for_="siblings"),
                tag(
                    "input",
                    type="number",
                    id="siblings",
                    name="siblings",
                    min=0,
                    max=choices.max_siblings,
                    step=1,
                    inputmode="numeric",
                    value=view.values.get("siblings", ""),
                    aria_invalid="true" if invalid else None,
                    aria_describedby="siblings-error" if invalid else None,
                ),
                _error(error, "siblings"),
                _select("establishment", choices.establishments, view, error, locale),
                tag("p", word("form_hint", locale), class_="hint", id="form-hint"),
                tag("button", word("save_draft", locale), type="submit", name="action", value="draft", id="save-draft"),
                " ",
                tag("button", word("submit", locale), type="submit", name="action", value="submit", id="submit"),
                action="/scholarship",
                viewer=viewer,
                locale=locale,
                id_="application",
            ),
            class_="card",
        )
    else:
        content = join(
            tag("section", _facts(view.facts), class_="card", id="answers"),
            _eligibility(view, locale),
            tag(
                "section",
                tag("h2", word("decision_reason", locale)),
                tag("p", tag("bdi", view.decision_reason), id="decision-reason"),
                class_="card",
            )
            if view.decision_reason
            else None,
        )
    body = join(
        tag("h1", title),
        _notice(notice),
        tag("p", word("lead", locale), class_="lead"),
        _state_line(view.state, locale),
        content,
    )
    return layout(locale=locale, title=title, body=body, path="/scholarship", viewer=viewer)


def not_admitted_page(*, locale: Locale, viewer: Viewer, session_name: str, why: str) -> str:
    """The page of someone who may not apply: the rule, and why it does not apply to them."""
    title = word("heading", locale)
    why_text = WORDS.get(why)
    body = join(
        tag("h1", title),
        tag(
            "section",
            tag("p", word("not_admitted", locale).format(session=session_name)),
            tag("p", why_text[locale]) if why_text is not None else None,
            class_="verdict pending",
            role="status",
            id="not-admitted",
            data_code="scholarship.not_admitted",
        ),
    )
    return layout(locale=locale, title=title, body=body, path="/scholarship", viewer=viewer)


def queue_page(
    *, locale: Locale, viewer: Viewer, provinces: Sequence[str], queue: Sequence[ApplicationView], notice: str | None
) -> str:
    """An officer's queue: the province's applications awaiting a decision, oldest first."""
    title = word("queue_heading", locale)
    items = [
        tag(
            "li",
            tag(
                "h2",
                tag("bdi", view.applicant),
                " ",
                tag("bdi", f"({view.massar_code})", dir="ltr"),
                id=f"applicant-{view.id}",
            ),
            tag("p", word(f"state_{view.state}", locale), data_state=view.state),
            tag(
                "p",
                tag("strong", word("eligible" if view.eligible else "not_eligible", locale)),
                " — ",
                "; ".join(word(reason, locale) for reason in view.reasons),
            ),
            tag(
                "a",
                word("open", locale),
                href=f"/staff/scholarships/{view.id}?lang={locale}",
                class_="button",
                aria_describedby=f"applicant-{view.id}",
            ),
            class_="card",
            data_application=str(view.id),
        )
        for view in queue
    ]
    body = join(
        tag("h1", title),
        _notice(notice),
        tag("p", word("province", locale), ": ", tag("bdi", ", ".join(provinces)), class_="hint"),
        tag("ul", items, class_="plain queue") if items else tag("p", word("queue_empty", locale), id="queue-empty"),
    )
    return layout(locale=locale, title=title, body=body, path="/staff/scholarships", viewer=viewer)


def _whom(view: ApplicationView, locale: Locale) -> Markup:
    return _facts(
        [
            (word("applicant", locale), view.applicant),
            (word("massar", locale), view.massar_code),
            (word("school", locale), view.school),
            (word("province", locale), view.province),
        ]
    )


def officer_application_page(*, locale: Locale, viewer: Viewer, view: ApplicationView, notice: str | None) -> str:
    """One application for its officer: whose it is, the answers, the eligibility, and the next step (take it up,
    or decide)."""
    title = word("application_heading", locale)
    action: Markup | None = None
    if view.state == "submitted":
        action = _form(
            tag("button", word("start_review", locale), type="submit", id="start-review"),
            action=f"/staff/scholarships/{view.id}/review",
            viewer=viewer,
            locale=locale,
        )
    elif view.state == "under_review":
        action = tag(
            "section",
            tag("h2", word("decide_heading", locale), id="decide-heading"),
            _form(
                tag("label", word("reason", locale), for_="reason"),
                tag("textarea", "", id="reason", name="reason", rows=3, maxlength=1000, dir="auto"),
                tag("p", word("grant_ineligible", locale), class_="hint") if not view.eligible else None,
                tag(
                    "button",
                    word("grant", locale),
                    type="submit",
                    name="decision",
                    value="grant",
                    id="grant",
                    disabled=not view.eligible,
                ),
                " ",
                tag(
                    "button",
                    word("refuse", locale),
                    type="submit",
                    name="decision",
                    value="refuse",
                    id="refuse",
                    class_="secondary",
                ),
                action=f"/staff/scholarships/{view.id}/decision",
                viewer=viewer,
                locale=locale,
            ),
            class_="card",
            aria_labelledby="decide-heading",
        )
    body = join(
        tag("h1", title),
        _notice(notice),
        _state_line(view.state, locale),
        tag("section", _whom(view, locale), class_="card", id="whom"),
        tag("section", _facts(view.facts), class_="card", id="answers"),
        _eligibility(view, locale),
        action,
    )
    return layout(locale=locale, title=title, body=body, path="/staff/scholarships", viewer=viewer)


def confirm_page(*, locale: Locale, viewer: Viewer, view: ApplicationView, grant: bool, reason: str) -> str:
    """Before a final decision: what is decided, for whom, and the confirmation (the same form with ``confirm``)."""
    title = word("confirm_heading", locale)
    body = join(
        tag("h1", title),
        tag(
            "section",
            tag("p", word("confirm_lead", locale)),
            _whom(view, locale),
            tag("p", tag("strong", word("grant" if grant else "refuse", locale)), id="decision", role="status"),
            tag("p", word("decision_reason", locale), ": ", tag("bdi", reason)) if not grant else None,
            class_=f"verdict {'valid' if grant else 'invalid'}",
            id="confirm-whom",
        ),
        _form(
            tag("input", type="hidden", name="decision", value="grant" if grant else "refuse"),
            tag("input", type="hidden", name="reason", value=reason),
            tag("input", type="hidden", name="confirm", value="yes"),
            tag("button", word("confirm_grant" if grant else "confirm_refuse", locale), type="submit", id="confirm"),
            action=f"/staff/scholarships/{view.id}/decision",
            viewer=viewer,
            locale=locale,
        ),
        tag("p", tag("a", word("back", locale), href=f"/staff/scholarships/{view.id}?lang={locale}", id="back")),
    )
    return layout(locale=locale, title=title, body=body, path="/staff/scholarships", viewer=viewer)


def field_error(*, name: str, code: str, technical: str, locale: Locale) -> FieldError:
    """A refused field's message: the code's explanation in the page's language and the technical detail."""
    return FieldError(name=name, text=error_text(code)[locale], technical=technical)
