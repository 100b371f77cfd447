"""The login page and the refusal page, in Arabic (right-to-left, the default) and French.

The login page stands in for "insert your card and type its PIN": a form with the inputs ``cnie`` and ``pin``,
each with its label, and an error, when there is one, tied to its field (``aria-describedby``,
``aria-invalid``) and announced (``role="alert"``). Pages are built with :mod:`common.html`, which escapes every
value it is given.
The style sheet is served from ``/static/eid.css`` (no inline style: the Content-Security-Policy forbids it).
"""

from __future__ import annotations

from typing import Final, Literal

from common.html import Markup, tag
from eid.provider import LoginFailed, LoginOutcome

Locale = Literal["ar", "fr"]
LOCALES: Final[tuple[Locale, ...]] = ("ar", "fr")

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)

STYLE_SHEET: Final = """\
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,"Noto Naskh Arabic","Segoe UI",sans-serif;font-size:1.05rem;line-height:1.5;
background:#f4f6f8;color:#1b1f23}
main{max-width:28rem;margin:0 auto;padding:1.25rem}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem}
h1{font-size:1.35rem;margin:.5rem 0 1rem}
.notice{background:#fff3cd;border:1px solid #c69500;padding:.6rem .8rem;border-radius:.4rem;font-size:.95rem}
form{background:#fff;border:1px solid #d0d7de;border-radius:.6rem;padding:1rem;margin-top:1rem}
label{display:block;font-weight:600;margin-top:.8rem}
.hint{display:block;font-size:.9rem;color:#57606a}
input{display:block;width:100%;font-size:1.1rem;padding:.6rem;margin-top:.3rem;border:1px solid #8c959f;
border-radius:.4rem}
input[aria-invalid=true]{border-color:#cf222e;border-width:2px}
.error{color:#a40e26;font-weight:600;margin:.3rem 0 0}
button{margin-top:1.2rem;width:100%;font-size:1.1rem;padding:.75rem;border:0;border-radius:.4rem;background:#0a5c36;
color:#fff;font-weight:600}
button:focus,input:focus,a:focus{outline:3px solid #0969da;outline-offset:2px}
.client{font-size:.95rem;color:#57606a}
"""

_TEXT: Final[dict[Locale, dict[str, str]]] = {
    "ar": {
        "title": "الهوية الإلكترونية الوطنية",
        "heading": "تسجيل الدخول ببطاقتك الوطنية الإلكترونية",
        "notice": "هذه نسخة تطوير تحاكي مزود الهوية الإلكترونية، وليست الخدمة الرسمية.",
        "client": "الخدمة التي تطلب هويتك: {client}",
        "cnie": "رقم البطاقة الوطنية",
        "cnie_hint": "مثال: BE123456",
        "pin": "الرقم السري للبطاقة (6 أرقام)",
        "submit": "تسجيل الدخول",
        "other": "Français",
        "unknown_card": "لا توجد بطاقة بهذا الرقم. تحقق من الرقم المكتوب على بطاقتك.",
        "malformed_card": "رقم البطاقة غير صالح: حرف أو حرفان متبوعان بأرقام، مثل BE123456.",
        "malformed_pin": "الرقم السري يتكون من 6 أرقام.",
        "wrong_pin": "الرقم السري غير صحيح. المحاولات المتبقية: {left}.",
        "blocked": "تم إيقاف البطاقة مؤقتا بعد عدة محاولات خاطئة. أعد المحاولة لاحقا.",
        "refused_title": "تعذر تسجيل الدخول",
        "eid.unknown_client": "الخدمة التي أرسلتك إلى هنا غير مسجلة لدى الهوية الإلكترونية.",
        "eid.redirect_uri": "عنوان الرجوع الذي طلبته الخدمة غير مسجل لها؛ لن يتم توجيهك إليه.",
        "eid.bad_request": "طلب تسجيل الدخول غير صالح.",
        "eid.login_expired": "انتهت صلاحية صفحة تسجيل الدخول. عد إلى الخدمة وابدأ من جديد.",
        "eid.csrf": "لم يرسل النموذج من صفحة تسجيل الدخول هذه.",
        "eid.busy": "الخدمة مشغولة حاليا. أعد المحاولة بعد لحظات.",
        "eid.cross_site": "لم يرسل النموذج من صفحة تسجيل الدخول هذه.",
        "request.invalid": "الطلب غير صالح.",
    },
    "fr": {
        "title": "Identité électronique nationale",
        "heading": "Connexion avec votre carte nationale électronique",
        "notice": "Ceci est une version de développement qui simule le fournisseur d'identité, "
        "pas le service officiel.",
        "client": "Service qui demande votre identité : {client}",
        "cnie": "Numéro de la carte nationale (CNIE)",
        "cnie_hint": "Exemple : BE123456",
        "pin": "Code PIN de la carte (6 chiffres)",
        "submit": "Se connecter",
        "other": "العربية",
        "unknown_card": "Aucune carte ne porte ce numéro. Vérifiez le numéro inscrit sur votre carte.",
        "malformed_card": "Numéro de carte invalide : une ou deux lettres suivies de chiffres, par exemple BE123456.",
        "malformed_pin": "Le code PIN compte 6 chiffres.",
        "wrong_pin": "Code PIN incorrect. Essais restants : {left}.",
        "blocked": "La carte est bloquée pour un moment après trop d'essais incorrects. Réessayez plus tard.",
        "refused_title": "Connexion impossible",
        "eid.unknown_client": "Le service qui vous a envoyé ici n'est pas enregistré auprès de l'eID.",
        "eid.redirect_uri": "L'adresse de retour demandée n'est pas enregistrée pour ce service ; "
        "vous n'y serez pas renvoyé.",
        "eid.bad_request": "La demande de connexion n'est pas valide.",
        "eid.login_expired": "La page de connexion a expiré. Retournez au service et recommencez.",
        "eid.csrf": "Le formulaire n'a pas été envoyé depuis cette page de connexion.",
        "eid.busy": "Le service est occupé. Réessayez dans quelques instants.",
        "eid.cross_site": "Le formulaire n'a pas été envoyé depuis cette page de connexion.",
        "request.invalid": "La demande n'est pas valide.",
    },
}


def locale_of(ui_locales: str | None) -> Locale:
    """The first of the requested ``ui_locales`` we have (OpenID Connect Core §3.1.2.1); Arabic otherwise."""
    for language in (ui_locales or "").split():
        primary = language.split("-")[0].lower()
        if primary in LOCALES:
            return "fr" if primary == "fr" else "ar"
    return "ar"


def login_page(
    *,
    locale: Locale,
    transaction: str,
    csrf_token: str,
    client_id: str,
    other_locale_url: str,
    cnie: str = "",
    failure: LoginFailed | None = None,
) -> str:
    """The login form; with ``failure``, the same form with its error tied to the field at fault."""
    text = _TEXT[locale]
    cnie_error = pin_error = None
    if failure is not None:
        message = text[failure.outcome.value].format(left=failure.attempts_left)
        if failure.outcome in (LoginOutcome.UNKNOWN_CARD, LoginOutcome.MALFORMED_CARD):
            cnie_error = message
        else:
            pin_error = message
    other: Locale = "fr" if locale == "ar" else "ar"
    body = [
        tag(
            "header",
            tag("p", text["client"].format(client=client_id), class_="client"),
            tag("a", text["other"], href=other_locale_url, hreflang=other, lang=other),
        ),
        tag("h1", text["heading"]),
        tag("p", text["notice"], class_="notice"),
        tag(
            "form",
            tag("input", type="hidden", name="transaction", value=transaction),
            tag("input", type="hidden", name="csrf_token", value=csrf_token),
            tag("input", type="hidden", name="lang", value=locale),
            _field(
                "cnie",
                text["cnie"],
                hint=text["cnie_hint"],
                value=cnie,
                error=cnie_error,
                autocomplete="username",
                inputmode="text",
                autofocus=cnie_error is not None or failure is None,
            ),
            _field(
                "pin",
                text["pin"],
                hint=None,
                value="",
                error=pin_error,
                autocomplete="one-time-code",
                inputmode="numeric",
                input_type="password",
                autofocus=pin_error is not None,
            ),
            tag("button", text["submit"], type="submit"),
            method="post",
            action="/authorize",
            novalidate=True,
        ),
    ]
    return _document(locale, text["title"], body)


def refusal_page(*, locale: Locale, code: str, status: int) -> str:
    """The page for a request refused without a redirect (unknown client or redirect URI, expired login...)."""
    text = _TEXT[locale]
    body = [
        tag("h1", text["refused_title"]),
        tag("p", text.get(code, text["request.invalid"]), role="alert", class_="error"),
        tag("p", tag("code", code), f" · HTTP {status}", class_="client"),
    ]
    return _document(locale, text["refused_title"], body)


def _field(
    name: str,
    label: str,
    *,
    hint: str | None,
    value: str,
    error: str | None,
    autocomplete: str,
    inputmode: str,
    input_type: str = "text",
    autofocus: bool = False,
) -> Markup:
    described = " ".join(part for part in (f"{name}-hint" if hint else "", f"{name}-error" if error else "") if part)
    return tag(
        "div",
        tag("label", label, for_=name),
        tag("span", hint, class_="hint", id=f"{name}-hint") if hint else None,
        tag(
            "input",
            id=name,
            name=name,
            type=input_type,
            autocomplete=autocomplete,
            inputmode=inputmode,
            required=True,
            aria_required="true",
            dir="ltr",
            value=value,
            aria_describedby=described or None,
            aria_invalid="true" if error else None,
            autofocus=autofocus,
        ),
        tag("p", error, class_="error", id=f"{name}-error", role="alert") if error else None,
        class_="field",
    )


def _document(locale: Locale, title: str, body: list[Markup]) -> str:
    return "<!doctype html>\n" + tag(
        "html",
        tag(
            "head",
            tag("meta", charset="utf-8"),
            tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
            tag("meta", name="referrer", content="no-referrer"),
            tag("title", title),
            tag("link", rel="stylesheet", href="/static/eid.css"),
        ),
        tag("body", tag("main", body)),
        lang=locale,
        dir="rtl" if locale == "ar" else "ltr",
    )
