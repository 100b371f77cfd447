"""The consent page of the authorization code flow, in Arabic (right-to-left, the default) and French.

After the eID login the graduate sees what is about to happen before any code leaves the issuer: their diploma
(name, session, mention) and the wallet it goes to (the ``client_id`` and the host of its redirect URI; "a wallet on
this device" for a loopback one, a warning for a remote one, since no wallet is authenticated), and confirms or
refuses (:func:`issuer.authorization.decide`). A browser refused on these routes gets :func:`refusal_page` (a
script gets the problem details). Phone-first (one column, full-width buttons), the two choices as
real buttons of one form, the warning announced (``role="alert"``). Built with :mod:`common.html`, which escapes
every value; the style sheet is served from ``/authorize/consent.css`` (no inline style: the
Content-Security-Policy forbids it).
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import urlencode

import schemas
from common.html import Markup, tag
from issuer.authorization import ConsentRequest

Locale = Literal["ar", "fr"]

#: The page's policy: nothing but its own style sheet; never framed (a consent page must not be clickjacked). No
#: ``form-action``: Chromium applies it to the redirect after the post, and the redirect goes to the wallet.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STYLE_SHEET_PATH: Final = "/authorize/consent.css"

STYLE_SHEET: Final = """\
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,"Noto Naskh Arabic","Segoe UI",sans-serif;font-size:1.05rem;line-height:1.5;
background:#f4f6f8;color:#1b1f23}
main{max-width:30rem;margin:0 auto;padding:1.25rem}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem}
h1{font-size:1.35rem;margin:.5rem 0 1rem}
h2{font-size:1.05rem;margin:0 0 .4rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:.6rem;padding:1rem;margin-top:1rem}
dl{margin:0}
dt{font-size:.9rem;color:#57606a}
dd{margin:0 0 .5rem;font-weight:600;overflow-wrap:anywhere}
.warning{background:#fff3cd;border:2px solid #9a6700;padding:.6rem .8rem;border-radius:.4rem;margin:.6rem 0 0}
.device{background:#dafbe1;border:1px solid #1a7f37;padding:.6rem .8rem;border-radius:.4rem;margin:.6rem 0 0}
.expiry{font-size:.9rem;color:#57606a}
button{display:block;margin-top:.8rem;width:100%;font-size:1.1rem;padding:.75rem;border-radius:.4rem;font-weight:600}
.confirm{border:0;background:#0a5c36;color:#fff}
.refuse{border:2px solid #a40e26;background:#fff;color:#a40e26}
button:focus,a:focus{outline:3px solid #0969da;outline-offset:2px}
"""

_TEXT: Final[dict[Locale, dict[str, str]]] = {
    "ar": {
        "title": "إضافة الشهادة إلى محفظة",
        "heading": "هل تريد إضافة شهادة البكالوريا الخاصة بك إلى هذه المحفظة؟",
        "diploma": "الشهادة",
        "name": "الاسم",
        "session": "الدورة",
        "mention": "الميزة",
        "wallet": "المحفظة التي ستتلقاها",
        "client": "اسم المحفظة كما قدمته",
        "address": "عنوان الرجوع",
        "device": "محفظة على هذا الجهاز.",
        "remote": "تنبيه: هذه المحفظة على عنوان خارجي ({host}) لا تعرفه الوزارة. من يملك هذه المحفظة سيحمل "
        "شهادتك ويستطيع عرضها. لا تؤكد إلا إذا كنت أنت من فتح هذا الطلب من محفظتك. إذا أرسل إليك أحد هذا الرابط، "
        "فارفض.",
        "consequence": "عند التأكيد، تحصل هذه المحفظة على نسخة موقعة من شهادتك مرتبطة بمفتاحها.",
        "confirm": "تأكيد: أضف شهادتي إلى هذه المحفظة",
        "refuse": "رفض: لا تعط شيئا",
        "expiry": "تنتهي صلاحية هذه الصفحة على الساعة {time} (بالتوقيت العالمي).",
        "other": "Français",
        "refused_title": "تعذرت متابعة هذا الطلب",
        "authorize.consent_unknown": "انتهت صلاحية هذا الطلب أو سبقت الإجابة عنه. عد إلى محفظتك وابدأ من جديد.",
        "authorize.other_browser": "بدأ هذا الطلب في متصفح آخر. افتح رابط المحفظة من جديد في هذا المتصفح.",
        "authorize.csrf": "لم ترسل هذه الإجابة من صفحة الموافقة هذه. لم يتم إعطاء أي شيء.",
        "authorize.cross_site": "أرسلت هذه الإجابة من موقع آخر. لم يتم إعطاء أي شيء.",
        "authorize.consent_decision": "اختر التأكيد أو الرفض.",
        "request.invalid": "الطلب غير صالح.",
    },
    "fr": {
        "title": "Ajouter le diplôme à un portefeuille",
        "heading": "Ajouter votre diplôme du baccalauréat à ce portefeuille ?",
        "diploma": "Le diplôme",
        "name": "Nom",
        "session": "Session",
        "mention": "Mention",
        "wallet": "Le portefeuille qui le recevra",
        "client": "Nom du portefeuille, tel qu'il se présente",
        "address": "Adresse de retour",
        "device": "Un portefeuille sur cet appareil.",
        "remote": "Attention : ce portefeuille est à une adresse distante ({host}) que le ministère ne connaît pas. "
        "Qui détient ce portefeuille détiendra votre diplôme et pourra le présenter. Ne confirmez que si vous avez "
        "ouvert cette demande depuis votre propre portefeuille. Si quelqu'un vous a envoyé ce lien, refusez.",
        "consequence": "Si vous confirmez, ce portefeuille reçoit une copie signée de votre diplôme, liée à sa clé.",
        "confirm": "Confirmer : ajouter mon diplôme à ce portefeuille",
        "refuse": "Refuser : ne rien donner",
        "expiry": "Cette page expire à {time} (UTC).",
        "other": "العربية",
        "refused_title": "Cette demande ne peut pas continuer",
        "authorize.consent_unknown": "Cette demande a expiré ou a déjà reçu une réponse. Retournez à votre "
        "portefeuille et recommencez.",
        "authorize.other_browser": "Cette demande a été commencée dans un autre navigateur. Rouvrez le lien du "
        "portefeuille dans ce navigateur.",
        "authorize.csrf": "Cette réponse n'a pas été envoyée depuis cette page de consentement. Rien n'a été donné.",
        "authorize.cross_site": "Cette réponse a été envoyée depuis un autre site. Rien n'a été donné.",
        "authorize.consent_decision": "Choisissez Confirmer ou Refuser.",
        "request.invalid": "La demande n'est pas valide.",
    },
}


def locale_of(value: str | None) -> Locale:
    """French when asked for (``fr``, ``fr-MA``), else Arabic."""
    return "fr" if (value or "").split("-")[0].strip().lower() == "fr" else "ar"


def consent_page(consent: ConsentRequest, *, locale: Locale) -> str:
    """The page asking the graduate to confirm or refuse ``consent``; the form posts to ``/authorize/consent``."""
    text = _TEXT[locale]
    other: Locale = "fr" if locale == "ar" else "ar"
    other_url = "/authorize/consent?" + urlencode({"request": consent.reference, "lang": other})
    if locale == "ar":
        name = f"{consent.given_name.ar} {consent.family_name.ar}"
    else:
        name = f"{consent.given_name.lat} {consent.family_name.lat}"
    session = f"{schemas.value_label('session.type', consent.session.type, locale)} {consent.session.year}"
    mention = schemas.value_label("mention", consent.mention, locale)
    if consent.on_this_device:
        where = tag("p", text["device"], class_="device", id="wallet-where")
    else:
        where = tag(
            "p", text["remote"].format(host=consent.redirect_host), class_="warning", role="alert", id="wallet-where"
        )
    body = [
        tag("header", tag("a", text["other"], href=other_url, hreflang=other, lang=other)),
        tag("h1", text["heading"], id="heading"),
        tag(
            "section",
            tag("h2", text["diploma"], id="diploma-heading"),
            tag(
                "dl",
                tag("dt", text["name"]),
                tag("dd", name),
                tag("dt", text["session"]),
                tag("dd", session),
                tag("dt", text["mention"]),
                tag("dd", mention),
            ),
            aria_labelledby="diploma-heading",
        ),
        tag(
            "section",
            tag("h2", text["wallet"], id="wallet-heading"),
            tag(
                "dl",
                tag("dt", text["client"]),
                tag("dd", tag("bdi", consent.client_id, dir="ltr")),
                tag("dt", text["address"]),
                tag("dd", tag("bdi", consent.redirect_host, dir="ltr")),
            ),
            where,
            aria_labelledby="wallet-heading",
        ),
        tag("p", text["consequence"]),
        tag(
            "form",
            tag("input", type="hidden", name="request", value=consent.reference),
            tag("input", type="hidden", name="csrf_token", value=consent.csrf_token),
            tag("input", type="hidden", name="lang", value=locale),
            tag(
                "button",
                text["confirm"],
                type="submit",
                name="decision",
                value="confirm",
                class_="confirm",
                aria_describedby="wallet-where",
            ),
            tag("button", text["refuse"], type="submit", name="decision", value="refuse", class_="refuse"),
            method="post",
            action="/authorize/consent",
            aria_labelledby="heading",
        ),
        tag("p", text["expiry"].format(time=consent.expires_at.strftime("%H:%M")), class_="expiry"),
    ]
    return _document(locale, text["title"], body)


def refusal_page(*, locale: Locale, code: str, status: int) -> str:
    """The page a browser gets for a refused consent page or answer (expired, answered, another browser...)."""
    text = _TEXT[locale]
    body = [
        tag("h1", text["refused_title"]),
        tag("p", text.get(code, text["request.invalid"]), role="alert"),
        tag("p", tag("code", code), f" · HTTP {status}", class_="expiry"),
    ]
    return _document(locale, text["refused_title"], body)


def _document(locale: Locale, title: str, body: list[Markup]) -> str:
    return "<!doctype html>\n" + tag(
        "html",
        tag(
            "head",
            tag("meta", charset="utf-8"),
            tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
            tag("meta", name="referrer", content="no-referrer"),
            tag("title", title),
            tag("link", rel="stylesheet", href=STYLE_SHEET_PATH),
        ),
        tag("body", tag("main", body)),
        lang=locale,
        dir="rtl" if locale == "ar" else "ltr",
    )
