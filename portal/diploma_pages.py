"""The diploma page, server-rendered in Arabic and French like the other pages (:mod:`portal.pages`): the diploma as
the ministry's document (labels in both languages beside each value), its state and history, the printed diploma,
the wallet link, and the share links (made, listed, withdrawn; each as a link and a QR code).

QR codes are images served by the portal itself (the pages' policy loads images from the portal only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from common.html import Markup, join, tag
from portal.diploma import DEFAULT_CLAIMS, SHAREABLE_CLAIMS, ShareView
from portal.messages import Locale, T
from portal.pages import Viewer, layout, local_time
from portal.presentation import Answered, PresentationRequest


def _t(ar: str, fr: str) -> T:
    return {"ar": ar, "fr": fr}


#: The diploma page's words.
WORDS: Final[Mapping[str, T]] = {
    "nav": _t("شهادتي", "Mon diplôme"),
    "heading": _t("شهادة البكالوريا", "Diplôme du baccalauréat"),
    "none": _t(
        "لا توجد شهادة باسمك. تُسلَّم الشهادة بعد مداولات الدورة لمن نجح(ت).",
        "Aucun diplôme à votre nom. Le diplôme est délivré après la délibération aux candidats admis.",
    ),
    "kingdom": _t("المملكة المغربية — وزارة التربية الوطنية", "Royaume du Maroc — Ministère de l'Éducation nationale"),
    "state": _t("الحالة", "État"),
    "state_valid": _t("صالحة", "Valide"),
    "state_superseded": _t("عُوّضت بنسخة مصححة", "Remplacé par une version corrigée"),
    "state_revoked": _t("مسحوبة", "Retiré"),
    "state_suspended": _t("موقوفة مؤقتًا", "Suspendu"),
    "reason": _t("السبب", "Motif"),
    "see_current": _t("عرض النسخة الحالية", "Voir la version en vigueur"),
    "history": _t("تاريخ الشهادة", "Historique du diplôme"),
    "version": _t("النسخة", "Version"),
    "issued_on": _t("صدرت في", "Délivrée le"),
    "changed_on": _t("تغيرت حالتها في", "État changé le"),
    "print": _t("الشهادة المطبوعة", "Le diplôme imprimé"),
    "print_lead": _t(
        "وثيقة PDF موقعة إلكترونيًا من طرف الوزارة، بالعربية والفرنسية، تحمل رمزًا يُقرأ بدون إنترنت.",
        "Un PDF signé électroniquement par le Ministère, en arabe et en français, avec un code lisible sans connexion.",
    ),
    "print_button": _t("تحميل الشهادة (PDF)", "Télécharger le diplôme (PDF)"),
    "wallet": _t("إضافة إلى محفظة رقمية", "Ajouter à un portefeuille numérique"),
    "wallet_lead": _t(
        "افتح هذا الرابط أو امسح الرمز بمحفظتك: ستطلب منك الدخول بالبطاقة الوطنية الإلكترونية، ثم تتوصل بشهادتك.",
        "Ouvrez ce lien ou scannez le code avec votre portefeuille : il vous demandera de vous connecter avec "
        "la CNIE électronique, puis recevra votre diplôme.",
    ),
    "wallet_link": _t("فتح في المحفظة", "Ouvrir dans le portefeuille"),
    "wallet_qr": _t("رمز الإضافة إلى المحفظة", "Code d'ajout au portefeuille"),
    "share": _t("مشاركة الشهادة بدون تطبيق", "Partager le diplôme sans application"),
    "share_lead": _t(
        "تحتفظ الوزارة بنسخة من شهادتك مرتبطة بمفتاح خاص بك، لا يُستعمل إلا بأمر منك. اختر ما يظهر في الرابط ومدته.",
        "Le Ministère garde pour vous une copie de votre diplôme liée à une clé qui vous est propre, utilisée "
        "seulement sur votre demande. Choisissez ce que le lien montre et sa durée.",
    ),
    "share_claims": _t("ما يظهر للجهة المتحققة", "Ce que voit le destinataire"),
    "share_lifetime": _t("مدة صلاحية الرابط", "Durée du lien"),
    "share_button": _t("إنشاء رابط المشاركة", "Créer le lien de partage"),
    "share_made": _t(
        "تم إنشاء الرابط. أعطه أو اعرض رمزه على من يريد التحقق من شهادتك.",
        "Lien créé. Donnez-le, ou montrez son code, à qui doit vérifier votre diplôme.",
    ),
    "share_withdrawn": _t("تم سحب الرابط.", "Lien retiré."),
    "shares": _t("روابط المشاركة", "Mes liens de partage"),
    "shares_none": _t("لم تنشئ أي رابط بعد.", "Aucun lien pour l'instant."),
    "share_qr": _t("رمز رابط المشاركة", "Code du lien de partage"),
    "share_state_active": _t("نشط حتى", "Actif jusqu'au"),
    "share_state_expired": _t("انتهت صلاحيته في", "Expiré le"),
    "share_state_withdrawn": _t("مسحوب", "Retiré"),
    "withdraw": _t("سحب الرابط", "Retirer le lien"),
    "days": _t("{n} أيام", "{n} jours"),
    "many_days": _t("{n} يومًا", "{n} jours"),
    "day": _t("يوم واحد", "1 jour"),
    "number": _t("رقم الشهادة", "Numéro du diplôme"),
    "request": _t("الإجابة عن طلب جهة تحقق", "Répondre à la demande d'un vérificateur"),
    "request_lead": _t(
        "إذا عرضت عليك جهة تحقق رابطًا يبدأ بـ openid4vp:// على هذا الهاتف، الصقه هنا لترى ما تطلبه قبل المشاركة.",
        "Si un vérificateur vous présente sur ce téléphone un lien commençant par openid4vp://, collez-le ici pour "
        "voir ce qu'il demande avant de partager.",
    ),
    "request_link": _t("رابط الطلب", "Lien de la demande"),
    "request_button": _t("عرض الطلب", "Voir la demande"),
    "review": _t("طلب مشاركة شهادتك", "Demande de partage de votre diplôme"),
    "who": _t("من يطلب", "Qui demande"),
    "certified_by": _t("موثّق من طرف", "Certifié par"),
    "not_vouched": _t(
        "لا تضمن أي جهة تسجيل هوية هذا المتحقق: تأكد من أنك تعرفه قبل المشاركة.",
        "Aucun registre ne garantit l'identité de ce vérificateur : assurez-vous de le connaître avant de partager.",
    ),
    "on_behalf_of": _t("لفائدة", "Pour le compte de"),
    "answer_goes_to": _t("تُرسل الإجابة إلى", "La réponse part vers"),
    "asked": _t("المعطيات المطلوبة", "Données demandées"),
    "expires": _t("ينتهي الطلب في", "La demande expire le"),
    "share_answer": _t("مشاركة هذه المعطيات", "Partager ces données"),
    "decline": _t("رفض", "Refuser"),
    "answered": _t("تمت مشاركة شهادتك مع {host}.", "Votre diplôme a été partagé avec {host}."),
    "declined": _t("أُبلغ {host} برفضك.", "{host} a été informé de votre refus."),
    "verifier_says": _t("نتيجة التحقق لدى الجهة", "Résultat chez le vérificateur"),
    "verdict_valid": _t("صالحة", "Valide"),
    "verdict_invalid": _t("غير صالحة", "Non valide"),
    "verdict_indeterminate": _t("تعذّر الحسم", "Indéterminé"),
    "back_to_diploma": _t("العودة إلى شهادتي", "Retour à mon diplôme"),
}


def word(key: str, locale: Locale) -> str:
    return WORDS[key][locale]


@dataclass(frozen=True)
class DocumentRow:
    """One line of the document: the French label, the value (with its writing direction), the Arabic label."""

    name: str
    label_fr: str
    label_ar: str
    value: str
    direction: str | None = None


@dataclass(frozen=True)
class VersionView:
    """One version of the record in the history."""

    id: str
    version: int
    session: str
    state: str  # valid | superseded | revoked | suspended
    reason: str | None
    created_at: datetime
    changed_at: datetime | None


@dataclass(frozen=True)
class DiplomaView:
    """The version shown: its rows, state, and whether it is the current one."""

    id: str
    rows: Sequence[DocumentRow]
    state: str
    reason: str | None
    current: bool


def _moment(value: datetime) -> str:
    return local_time(value).strftime("%Y-%m-%d %H:%M")


def _document(shown: DiplomaView, locale: Locale) -> Markup:
    rows = [
        tag(
            "tr",
            tag("th", row.label_fr, scope="row", lang="fr", dir="ltr", class_="fr"),
            tag("td", tag("bdi", row.value, dir=row.direction)),
            tag("th", row.label_ar, scope="row", lang="ar", dir="rtl", class_="ar"),
            data_field=row.name,
        )
        for row in shown.rows
    ]
    return tag(
        "section",
        tag(
            "p",
            tag("span", word("kingdom", "ar"), lang="ar"),
            tag("span", word("kingdom", "fr"), lang="fr"),
            class_="kingdom",
        ),
        tag("p", word("heading", "ar"), lang="ar", dir="rtl", class_="document-title"),
        tag("p", word("heading", "fr"), lang="fr", dir="ltr", class_="document-title"),
        # The ministry's layout whatever the page's direction: French on the left, Arabic on the right.
        tag("div", tag("table", tag("tbody", rows), class_="document", dir="ltr"), class_="scroll"),
        class_="card diploma",
        id="document",
        aria_label=word("heading", locale),
    )


def _state(shown: DiplomaView, locale: Locale) -> Markup:
    verdict = {"valid": "valid", "superseded": "indeterminate", "suspended": "indeterminate"}.get(
        shown.state, "invalid"
    )
    return tag(
        "section",
        tag("p", word("state", locale), ": ", tag("strong", word(f"state_{shown.state}", locale)), id="diploma-state"),
        tag("p", word("reason", locale), ": ", tag("bdi", shown.reason), id="diploma-reason") if shown.reason else None,
        None if shown.current else tag("p", tag("a", word("see_current", locale), href=f"/diploma?lang={locale}")),
        class_=f"verdict {verdict}",
        role="status",
        data_state=shown.state,
    )


def _history(versions: Sequence[VersionView], locale: Locale, shown: str) -> Markup:
    items = [
        tag(
            "li",
            tag(
                "p",
                tag(
                    "a",
                    f"{word('version', locale)} {item.version} — {item.session}",
                    href=f"/diploma/{item.id}?lang={locale}",
                    aria_current="page" if item.id == shown else None,
                ),
                " — ",
                tag("strong", word(f"state_{item.state}", locale)),
            ),
            tag(
                "p",
                word("issued_on", locale),
                " ",
                tag("bdi", _moment(item.created_at), dir="ltr"),
                *(
                    (" · ", word("changed_on", locale), " ", tag("bdi", _moment(item.changed_at), dir="ltr"))
                    if item.changed_at
                    else ()
                ),
                *((" · ", word("reason", locale), ": ", tag("bdi", item.reason)) if item.reason else ()),
                class_="hint",
            ),
            data_version=str(item.version),
            data_state=item.state,
        )
        for item in versions
    ]
    return tag(
        "section",
        tag("h2", word("history", locale)),
        tag("ol", items, class_="plain history"),
        class_="card",
        id="history",
    )


def _hidden(viewer: Viewer, locale: Locale) -> list[Markup]:
    return [
        tag("input", type="hidden", name="csrf_token", value=viewer.csrf_token),
        tag("input", type="hidden", name="lang", value=locale),
    ]


def _days(seconds: int, locale: Locale) -> str:
    days = seconds // 86400
    if days == 1:
        return word("day", locale)
    # Arabic counts 3 to 10 with the plural, 11 and more with the singular accusative.
    return word("days" if days <= 10 else "many_days", locale).format(n=days)


def _share_form(
    viewer: Viewer, locale: Locale, *, labels: Mapping[str, str], lifetimes: Sequence[int], default: int
) -> Markup:
    boxes = [
        tag(
            "li",
            tag(
                "input",
                type="checkbox",
                id=f"claim-{name}",
                name=f"claim_{name}",
                value="on",
                checked=name in DEFAULT_CLAIMS,
            ),
            " ",
            tag("label", labels[name], for_=f"claim-{name}", class_="inline"),
        )
        for name in SHAREABLE_CLAIMS
    ]
    options = [
        tag("option", _days(seconds, locale), value=str(seconds), selected=seconds == default) for seconds in lifetimes
    ]
    return tag(
        "form",
        *_hidden(viewer, locale),
        tag("fieldset", tag("legend", word("share_claims", locale)), tag("ul", boxes, class_="plain claims")),
        tag("label", word("share_lifetime", locale), for_="lifetime"),
        tag("select", options, id="lifetime", name="lifetime"),
        tag("button", word("share_button", locale), type="submit", id="make-share"),
        method="post",
        action="/diploma/shares",
    )


def _shares(shares: Sequence[ShareView], viewer: Viewer, locale: Locale, now: datetime) -> Markup:
    if not shares:
        return tag("p", word("shares_none", locale), id="shares-none")
    items = []
    for share in shares:
        state = share.state(now)
        when = tag("bdi", _moment(share.expires_at), dir="ltr") if state != "withdrawn" else None
        items.append(
            tag(
                "li",
                tag("p", tag("a", share.url, href=share.url, class_="share-url", dir="ltr")),
                tag("p", word(f"share_state_{state}", locale), " ", when, class_="hint"),
                tag(
                    "img",
                    src=f"/diploma/shares/{share.id}/qr.svg",
                    alt=word("share_qr", locale),
                    class_="qr",
                    width=220,
                    height=220,
                )
                if state == "active"
                else None,
                tag(
                    "form",
                    *_hidden(viewer, locale),
                    tag("button", word("withdraw", locale), type="submit", class_="secondary"),
                    method="post",
                    action=f"/diploma/shares/{share.id}/withdraw",
                )
                if state == "active"
                else None,
                class_=f"share {state}",
                data_share=str(share.id),
                data_state=state,
            )
        )
    return tag("ul", items, class_="plain shares")


def diploma_page(
    *,
    locale: Locale,
    viewer: Viewer,
    shown: DiplomaView | None,
    versions: Sequence[VersionView],
    offer_link: str,
    shares: Sequence[ShareView],
    claim_labels: Mapping[str, str],
    lifetimes: Sequence[int],
    default_lifetime: int,
    now: datetime,
    notice: str | None = None,
) -> str:
    """The diploma page (``shown`` None: the graduate has no record)."""
    title = word("heading", locale)
    if shown is None:
        body = join(tag("h1", title), tag("p", word("none", locale), id="diploma-none", role="status"))
        return layout(locale=locale, title=title, body=body, path="/diploma", viewer=viewer)
    actions: list[Markup | None] = []
    if shown.current and shown.state == "valid":
        actions = [
            tag(
                "section",
                tag("h2", word("print", locale)),
                tag("p", word("print_lead", locale), class_="hint"),
                tag(
                    "p",
                    tag(
                        "a",
                        word("print_button", locale),
                        href=f"/diploma/{shown.id}/diploma.pdf",
                        class_="button",
                        id="download",
                        download="diplome.pdf",
                        type="application/pdf",
                    ),
                ),
                class_="card",
            ),
            tag(
                "section",
                tag("h2", word("wallet", locale)),
                tag("p", word("wallet_lead", locale), class_="hint"),
                tag("p", tag("a", word("wallet_link", locale), href=offer_link, class_="button", id="wallet-link")),
                tag(
                    "img", src="/diploma/wallet.svg", alt=word("wallet_qr", locale), class_="qr", width=220, height=220
                ),
                class_="card",
            ),
            tag(
                "section",
                tag("h2", word("request", locale), id="request-heading"),
                tag("p", word("request_lead", locale), class_="hint"),
                tag(
                    "form",
                    *_hidden(viewer, locale),
                    tag("label", word("request_link", locale), for_="request-link"),
                    tag(
                        "input",
                        type="text",
                        id="request-link",
                        name="link",
                        required=True,
                        maxlength=8192,
                        dir="ltr",
                        autocomplete="off",
                        inputmode="url",
                    ),
                    tag("button", word("request_button", locale), type="submit", id="review-request"),
                    method="post",
                    action="/diploma/requests",
                ),
                class_="card",
                aria_labelledby="request-heading",
            ),
            tag(
                "section",
                tag("h2", word("share", locale), id="share-heading"),
                tag("p", word("share_lead", locale), class_="hint"),
                _share_form(viewer, locale, labels=claim_labels, lifetimes=lifetimes, default=default_lifetime),
                class_="card",
                aria_labelledby="share-heading",
            ),
        ]
    body = join(
        tag("h1", title),
        tag("p", notice, class_="notice", role="status", id="notice") if notice else None,
        _state(shown, locale),
        _document(shown, locale),
        *actions,
        tag(
            "section",
            tag("h2", word("shares", locale)),
            _shares(shares, viewer, locale, now),
            class_="card",
            id="shares",
        ),
        _history(versions, locale, shown.id),
    )
    return layout(locale=locale, title=title, body=body, path="/diploma", viewer=viewer)


def _back(locale: Locale) -> Markup:
    return tag("p", tag("a", word("back_to_diploma", locale), href=f"/diploma?lang={locale}"))


def request_review_page(
    *, locale: Locale, viewer: Viewer, request: PresentationRequest, link: str, claim_labels: Mapping[str, str]
) -> str:
    """Who asks, on whose behalf, where the answer goes, what is asked; share or decline."""
    title = word("review", locale)
    who: list[Markup | None]
    if request.certified_name is not None:
        who = [
            tag("p", tag("strong", tag("bdi", request.certified_name)), id="verifier-name"),
            tag("p", word("certified_by", locale), " ", tag("bdi", request.registrar or ""), class_="hint"),
        ]
    else:
        who = [
            tag("p", tag("strong", tag("bdi", request.verifier_host, dir="ltr")), id="verifier-name"),
            tag("p", word("not_vouched", locale), class_="error", id="not-vouched"),
        ]
    body = join(
        tag("h1", title),
        tag(
            "section",
            tag("h2", word("who", locale)),
            *who,
            tag("p", word("on_behalf_of", locale), ": ", tag("bdi", request.relying_party), id="relying-party")
            if request.relying_party
            else None,
            tag(
                "p",
                word("answer_goes_to", locale),
                ": ",
                tag("bdi", request.verifier_host, dir="ltr"),
                class_="hint",
            ),
            tag(
                "p",
                word("expires", locale),
                " ",
                tag("bdi", _moment(request.expires_at), dir="ltr"),
                class_="hint",
            )
            if request.expires_at
            else None,
            class_="card",
            data_certified="true" if request.certified_name else "false",
        ),
        tag(
            "section",
            tag("h2", word("asked", locale)),
            tag(
                "ul", [tag("li", claim_labels.get(name, name), data_claim=name) for name in request.claims], id="asked"
            ),
            tag(
                "form",
                *_hidden(viewer, locale),
                tag("input", type="hidden", name="link", value=link),
                tag("button", word("share_answer", locale), type="submit", name="decision", value="share", id="answer"),
                " ",
                tag(
                    "button",
                    word("decline", locale),
                    type="submit",
                    name="decision",
                    value="decline",
                    class_="secondary",
                    id="decline",
                ),
                method="post",
                action="/diploma/requests/answer",
            ),
            class_="card",
        ),
        _back(locale),
    )
    return layout(locale=locale, title=title, body=body, path="/diploma", viewer=viewer)


def request_done_page(*, locale: Locale, viewer: Viewer, answered: Answered, shared: bool) -> str:
    """After the answer: shared or declined, and the verifier's verdict when it shows one."""
    title = word("review", locale)
    text = word("answered" if shared else "declined", locale).format(host=answered.verifier_host)
    verdict = answered.verdict
    body = join(
        tag("h1", title),
        tag("p", text, class_="notice", role="status", id="notice"),
        tag(
            "section",
            tag(
                "p",
                word("verifier_says", locale),
                ": ",
                tag("strong", word(f"verdict_{verdict}", locale) if f"verdict_{verdict}" in WORDS else verdict),
                id="verdict",
            ),
            class_=f"verdict {verdict if verdict in ('valid', 'invalid') else 'indeterminate'}",
            data_verdict=verdict,
        )
        if shared and verdict
        else None,
        _back(locale),
    )
    return layout(locale=locale, title=title, body=body, path="/diploma", viewer=viewer)
