"""Human words in Arabic, French and English: check codes, check names, outcomes, verdicts and the page's text.

A check code without its own entry takes its family's (``status.list_*`` → ``status.list_``, then ``status.``);
when nothing matches, :func:`check_message` falls back to the engine's English message, so a new code is never
shown as nothing. Arabic is the default locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeAlias

from vc.report import Check

Locale: TypeAlias = Literal["ar", "fr", "en"]
LOCALES: Final[tuple[Locale, ...]] = ("ar", "fr", "en")
DEFAULT_LOCALE: Final[Locale] = "ar"
DIRECTION: Final[Mapping[Locale, str]] = {"ar": "rtl", "fr": "ltr", "en": "ltr"}
LANGUAGE_NAMES: Final[Mapping[Locale, str]] = {"ar": "العربية", "fr": "Français", "en": "English"}

T: TypeAlias = Mapping[Locale, str]


def _t(ar: str, fr: str, en: str) -> T:
    return {"ar": ar, "fr": fr, "en": en}


def as_locale(value: str | None) -> Locale:
    """``value`` if it names a supported locale (``fr``, ``fr-MA``…), else Arabic."""
    primary = (value or "").strip().lower().split("-")[0]
    for locale in LOCALES:
        if primary == locale:
            return locale
    return DEFAULT_LOCALE


_UNREADABLE = _t(
    "الشهادة غير مقروءة أو تالفة",
    "Le justificatif est illisible ou altéré",
    "The credential is unreadable or damaged",
)
_KEY_INVALID = _t(
    "مفتاح التوقيع غير صالح في تاريخ التوقيع",
    "La clé de signature n'était pas valide à la date de signature",
    "The signing key was not valid when the credential was signed",
)
_LIST_UNUSABLE = _t(
    "قائمة الحالة المنشورة غير صالحة للاستعمال",
    "La liste de statut publiée est inutilisable",
    "The published status list cannot be used",
)
_HOLDER_INVALID = _t(
    "إثبات الحامل غير صالح",
    "La preuve du titulaire est invalide",
    "The holder's proof is invalid",
)

#: Messages by check code, and by code family (a prefix ending in "." or "_").
CHECK_MESSAGES: Final[Mapping[str, T]] = {
    "format.ok": _t("البنية سليمة", "Format correct", "Well-formed"),
    "input.too_large": _t("المُدخل كبير جدًا", "Données trop volumineuses", "The input is too large"),
    "format.unsecured": _t(
        "وثيقة غير موقّعة لا تُثبت شيئًا",
        "Un document non signé ne prouve rien",
        "An unsigned document proves nothing",
    ),
    "format.issuer_missing": _t(
        "لا تذكر الشهادة جهتها المصدرة", "Le justificatif ne nomme pas son émetteur", "The credential names no issuer"
    ),
    "format.": _UNREADABLE,
    "input.": _UNREADABLE,
    "sd_jwt": _UNREADABLE,
    "vcdm.": _UNREADABLE,
    "cbor.": _UNREADABLE,
    "cose.": _UNREADABLE,
    "offline.": _UNREADABLE,
    "offline.prefix": _t(
        "هذا الرمز ليس رمز شهادة مطبوعة (TQ1)",
        "Ce code n'est pas celui d'un diplôme imprimé (TQ1)",
        "This code is not a printed diploma's code (TQ1)",
    ),
    "offline.base45": _t(
        "الرمز مقطوع أو غير مكتمل: أعد قراءته",
        "Le code est tronqué ou incomplet : lisez-le à nouveau",
        "The code is cut short or incomplete: read it again",
    ),
    "offline.too_large": _t(
        "الرمز أكبر مما يُقبل", "Le code est plus grand qu'accepté", "The code is larger than accepted"
    ),
    "offline.kid_mismatch": _t(
        "الرمز لا يحمل مفتاح الجهة المصدرة: زُوِّر أو عُدِّل",
        "Le code ne porte pas la clé de l'émetteur : il a été falsifié ou modifié",
        "The code does not carry the issuer's key: it was forged or altered",
    ),
    "signature.ok": _t("التوقيع صحيح", "Signature valide", "Valid signature"),
    "signature.invalid": _t(
        "التوقيع غير صحيح: ربما عُدِّلت الشهادة",
        "Signature invalide : le justificatif a pu être modifié",
        "Invalid signature: the credential may have been altered",
    ),
    "signature.not_fetched": _t(
        "لم يُفحص التوقيع لأن الجهة المصدرة غير موثوقة",
        "Signature non vérifiée : émetteur non reconnu",
        "Signature not checked: the issuer is not trusted",
    ),
    "signature.": _t("التوقيع غير مقبول", "Signature non acceptée", "The signature is not acceptable"),
    "key.compromised": _t(
        "وُقِّعت بمفتاح أعلنت الجهة المصدرة أنه مُخترَق؛ تُعيد الجهة المصدرة إصدار الشهادات الموقَّعة به، فاطلب النسخة الجديدة",
        "Signé avec une clé que l'émetteur a déclarée compromise ; l'émetteur réémet les diplômes signés avec "
        "elle : demandez le nouveau",
        "Signed with a key the issuer declared compromised; the issuer re-issues the diplomas it signed: ask for "
        "the new one",
    ),
    "key.issuer_unreachable": _t(
        "تعذر الحصول على مفاتيح الجهة المصدرة",
        "Les clés de l'émetteur n'ont pas pu être obtenues",
        "The issuer's keys could not be obtained",
    ),
    "key.untrusted_issuer": _t(
        "الجهة المصدرة ليست في قائمة الثقة",
        "L'émetteur ne figure pas sur la liste de confiance",
        "The issuer is not on the trust list",
    ),
    "key.": _KEY_INVALID,
    "trust.ok": _t("جهة مصدرة موثوقة", "Émetteur reconnu", "Trusted issuer"),
    "trust.issuer_untrusted": _t(
        "الجهة المصدرة ليست في قائمة الثقة",
        "L'émetteur ne figure pas sur la liste de confiance",
        "The issuer is not on the trust list",
    ),
    "trust.type_not_allowed": _t(
        "الجهة المصدرة غير مخوّلة لإصدار هذا النوع",
        "L'émetteur n'est pas habilité pour ce type de justificatif",
        "The issuer is not trusted for this type of credential",
    ),
    "trust.": _t("الجهة المصدرة غير موثوقة", "Émetteur non reconnu", "The issuer is not trusted"),
    "validity.ok": _t("ضمن فترة الصلاحية", "Dans sa période de validité", "Within its validity period"),
    "validity.expired": _t("انتهت صلاحيتها", "Expiré", "Expired"),
    "validity.not_yet_valid": _t("لم تدخل حيّز الصلاحية بعد", "Pas encore valide", "Not yet valid"),
    "validity.issued_in_future": _t(
        "تاريخ الإصدار في المستقبل", "Date d'émission dans le futur", "Issued in the future"
    ),
    "validity.": _t("تواريخ الصلاحية غير صحيحة", "Dates de validité incorrectes", "Invalid validity dates"),
    "status.ok": _t("غير ملغاة وغير موقوفة", "Ni révoqué ni suspendu", "Neither revoked nor suspended"),
    "status.revoked": _t("ألغت الجهة المصدرة هذه الشهادة", "Révoqué par l'émetteur", "Revoked by the issuer"),
    "status.suspended": _t(
        "أوقفت الجهة المصدرة هذه الشهادة مؤقتًا", "Suspendu par l'émetteur", "Suspended by the issuer"
    ),
    "status.none": _t(
        "لا تتضمن الشهادة مرجعًا لحالتها", "Aucune référence de statut", "The credential carries no status reference"
    ),
    "status.presentation": _t(
        "تُفحص الحالة لكل شهادة مضمَّنة",
        "Le statut est vérifié pour chaque justificatif inclus",
        "Status is checked for each enclosed credential",
    ),
    "status.unavailable": _t(
        "تعذر الوصول إلى قائمة الحالة ولا توجد نسخة حديثة بما يكفي",
        "Liste de statut injoignable et aucune copie assez récente",
        "The status list could not be reached and no recent enough copy is held",
    ),
    "status.list_untrusted_origin": _t(
        "قائمة الحالة ليست على موقع جهة موثوقة، فلم تُجلب",
        "La liste de statut n'est pas chez un émetteur reconnu : elle n'a pas été consultée",
        "The status list is not on a trusted issuer's site, so it was not fetched",
    ),
    "status.list_too_large": _t(
        "قائمة الحالة أكبر من الحد المسموح", "Liste de statut trop volumineuse", "The status list is too large"
    ),
    "status.list_": _LIST_UNUSABLE,
    "status.issuer_mismatch": _LIST_UNUSABLE,
    "status.": _t(
        "تعذرت قراءة حالة الشهادة", "Le statut n'a pas pu être lu", "The credential's status could not be read"
    ),
    "holder_binding.ok": _t(
        "قدّمها حاملها (إثبات امتلاك المفتاح)",
        "Présenté par son titulaire (preuve de possession de la clé)",
        "Presented by its holder (proof of key possession)",
    ),
    "holder_binding.missing": _t(
        "لا دليل على أن مقدّمها هو حاملها",
        "Aucune preuve que la personne qui le présente en est le titulaire",
        "No proof that the presenter is the holder",
    ),
    "holder_binding.aud": _t(
        "قُدِّمت لجهة تحقق أخرى", "Présenté à un autre vérificateur", "Presented to another verifier"
    ),
    "holder_binding.nonce": _t(
        "رمز التحدي غير مطابق (احتمال إعادة استعمال)",
        "Le défi ne correspond pas (rejeu possible)",
        "The challenge does not match (possible replay)",
    ),
    "holder_binding.iat_too_old": _t(
        "إثبات الحامل قديم", "La preuve du titulaire est trop ancienne", "The holder's proof is too old"
    ),
    "holder_binding.not_required": _t(
        "ربط الحامل غير مطلوب هنا", "Lien au titulaire non exigé ici", "Holder binding not required here"
    ),
    "holder_binding.not_presented": _t(
        "لم يُقدَّم إثبات الحامل", "Aucune preuve du titulaire présentée", "No holder proof was presented"
    ),
    "holder_binding.no_cnf": _t(
        "الشهادة غير مرتبطة بمفتاح حامل",
        "Le justificatif n'est lié à aucune clé de titulaire",
        "The credential is not bound to a holder key",
    ),
    "holder_binding.paper": _t(
        "شهادة مطبوعة: لا ترتبط بمفتاح حاملها",
        "Diplôme imprimé : il n'est lié à aucune clé de titulaire",
        "Printed diploma: it is bound to no holder's key",
    ),
    "holder_binding.": _HOLDER_INVALID,
    "schema.ok": _t(
        "البيانات مطابقة لنموذج الشهادة",
        "Données conformes au modèle du diplôme",
        "The data matches the diploma's schema",
    ),
    "schema.none": _t("لا نموذج بيانات لهذا النوع", "Aucun modèle de données pour ce type", "No schema for this type"),
    "schema.": _t(
        "البيانات غير مطابقة لنموذج الشهادة", "Données non conformes au modèle", "The data does not match the schema"
    ),
    "policy.ok": _t("تستوفي طلب جهة التحقق", "Conforme à la demande du vérificateur", "Meets the verifier's request"),
    "policy.disclosure_missing": _t(
        "لم يُكشف عن بيانات مطلوبة",
        "Des données demandées n'ont pas été communiquées",
        "Requested data was not disclosed",
    ),
    "policy.status_required": _t(
        "لا تتضمن الشهادة مرجعًا لحالتها، وكل شهادة تصدرها الجهة تتضمنه",
        "Le diplôme n'a pas de référence de statut, alors que l'émetteur en met une dans chacun",
        "The diploma carries no status reference, which every diploma of this issuer has",
    ),
    "policy.": _t(
        "ليست الشهادة المطلوبة", "Ce n'est pas le justificatif demandé", "Not the credential that was asked for"
    ),
    "check.skipped": _t(
        "لم يُفحص لأن فحصًا سابقًا فشل",
        "Non vérifié : une vérification précédente a échoué",
        "Not checked: an earlier check failed",
    ),
}

CHECK_NAMES: Final[Mapping[str, T]] = {
    "format": _t("البنية", "Format", "Format"),
    "signature": _t("التوقيع", "Signature", "Signature"),
    "issuer_trust": _t("الجهة المصدرة", "Émetteur", "Issuer"),
    "validity": _t("الصلاحية", "Validité", "Validity"),
    "status": _t("الحالة (إلغاء، إيقاف)", "Statut (révocation, suspension)", "Status (revocation, suspension)"),
    "holder_binding": _t("الحامل", "Titulaire", "Holder"),
    "schema": _t("نموذج البيانات", "Modèle de données", "Data schema"),
    "policy": _t("متطلبات الطلب", "Exigences de la demande", "Request requirements"),
}

OUTCOMES: Final[Mapping[str, T]] = {
    "passed": _t("ناجح", "Réussi", "Passed"),
    "failed": _t("فاشل", "Échoué", "Failed"),
    "not_checked": _t("لم يُفحص", "Non vérifié", "Not checked"),
}

VERDICTS: Final[Mapping[str, T]] = {
    "valid": _t("صالحة — تم التحقق منها", "Valide — vérifié", "Valid — verified"),
    "invalid": _t("غير صالحة", "Non valide", "Not valid"),
    "indeterminate": _t("تعذّر التحقق", "Vérification impossible", "Could not be checked"),
}

VERDICT_EXPLANATIONS: Final[Mapping[str, T]] = {
    "valid": _t(
        "الشهادة أصلية، صادرة عن جهة موثوقة، وغير ملغاة ولا موقوفة.",
        "Le justificatif est authentique, émis par un émetteur reconnu, et n'est ni révoqué ni suspendu.",
        "The credential is authentic, issued by a trusted issuer, and neither revoked nor suspended.",
    ),
    "invalid": _t(
        "فشل فحص واحد على الأقل. لا تعتمد هذه الشهادة.",
        "Au moins une vérification a échoué. Ne vous fiez pas à ce justificatif.",
        "At least one check failed. Do not rely on this credential.",
    ),
    "indeterminate": _t(
        "تعذّر إتمام فحص ضروري (مثلًا: تعذّر الاتصال بالجهة المصدرة). أعد المحاولة لاحقًا؛ هذا لا يعني أن الشهادة مزوّرة.",
        "Une vérification nécessaire n'a pas pu être faite (par exemple, l'émetteur est injoignable). "
        "Réessayez plus tard ; cela ne signifie pas que le justificatif est faux.",
        "A necessary check could not be carried out (for example, the issuer could not be reached). "
        "Try again later; this does not mean the credential is false.",
    ),
}


#: The banner of a presentation that is authentic but did not share every requested claim.
WITHHELD: Final[Mapping[str, T]] = {
    "heading": _t(
        "أصلية، لكن لم تُشارَك كل البيانات المطلوبة",
        "Authentique, mais toutes les données demandées n'ont pas été communiquées",
        "Authentic, but not all the requested data was shared",
    ),
    "reason": _t(
        "لم يُشارِك الحامل هذه البيانات المطلوبة: {claims}",
        "Le titulaire n'a pas communiqué ces données demandées : {claims}",
        "The holder did not share these requested claims: {claims}",
    ),
}

#: Added to a revoked or suspended credential's reason when the status list says when it was signed.
LISTED_SINCE: Final[T] = _t(
    "(في قائمة الحالة المنشورة بتاريخ {date})",
    "(dans la liste de statut publiée le {date})",
    "(in the status list published on {date})",
)

#: The banner's words for the decisive reason of a verdict (:mod:`verifier.reasons`), where they differ from the
#: check's own message.
VERDICT_REASONS: Final[Mapping[str, T]] = {
    "not_a_credential": _t(
        "هذا ليس رابط شهادة ولا شهادة",
        "Ce n'est ni un lien de diplôme ni un justificatif",
        "This is not a diploma link or credential",
    ),
    "signature.invalid": _t(
        "التوقيع لا يطابق: عُدِّلت الشهادة أو زُوِّرت",
        "La signature ne correspond pas : le justificatif a été modifié ou falsifié",
        "The signature does not match: the credential was altered or forged",
    ),
    "trust.issuer_untrusted": _t(
        "الجهة المصدرة غير معترف بها: ليست في قائمة الثقة",
        "Émetteur non reconnu : il ne figure pas sur la liste de confiance",
        "Issuer not recognised: it is not on the trust list",
    ),
    "key.untrusted_issuer": _t(
        "الجهة المصدرة غير معترف بها: ليست في قائمة الثقة",
        "Émetteur non reconnu : il ne figure pas sur la liste de confiance",
        "Issuer not recognised: it is not on the trust list",
    ),
    "key.issuer_unreachable": _t(
        "تعذّر الحصول على مفاتيح الجهة المصدرة، فلم يُفحص التوقيع",
        "Les clés de l'émetteur n'ont pas pu être obtenues : la signature n'a pas pu être vérifiée",
        "The issuer's keys could not be fetched, so the signature could not be checked",
    ),
    "status.unavailable": _t(
        "تعذّر جلب قائمة الحالة من الجهة المصدرة، ولا توجد نسخة حديثة بما يكفي",
        "La liste de statut de l'émetteur n'a pas pu être obtenue, et aucune copie assez récente n'est conservée",
        "The issuer's status list could not be fetched, and no recent enough copy is held",
    ),
    "offline.kid_mismatch": _t(
        "الرمز المطبوع لم توقّعه الجهة المصدرة بمفتاحها: زُوِّر أو عُدِّل",
        "Le code imprimé n'est pas signé de la clé de l'émetteur : il a été falsifié ou modifié",
        "The printed code is not signed with the issuer's key: it was forged or altered",
    ),
    "status.none": _t(
        "لا تتضمن الشهادة مرجعًا لحالتها، فلا يمكن التأكد من أنها غير ملغاة",
        "Aucune référence de statut : impossible de savoir s'il a été révoqué",
        "No status reference: there is no way to know whether it was revoked",
    ),
}


def lookup(code: str, catalogue: Mapping[str, T] = CHECK_MESSAGES) -> T | None:
    """The entry for ``code``, else for its longest family prefix, else None."""
    if code in catalogue:
        return catalogue[code]
    families = [prefix for prefix in catalogue if prefix.endswith((".", "_")) or "." not in prefix]
    matching = [prefix for prefix in families if code.startswith(prefix)]
    return catalogue[max(matching, key=len)] if matching else None


def check_message(check: Check, locale: Locale) -> str:
    """The check's message in ``locale``; the engine's English message when the catalogue has none."""
    entry = lookup(check.code)
    return entry[locale] if entry is not None else check.message


def format_age(seconds: float, locale: Locale) -> str:
    """A duration as a person reads it: ``45 s``, ``3 min``, ``2 h``, ``5 d``, in the locale's words (Arabic takes
    the plural from 3 to 10 and the singular otherwise, as numbers written in digits are read)."""
    whole = max(0, int(seconds))
    if whole < 120:
        amount, unit = whole, 0
    elif whole < 7200:
        amount, unit = whole // 60, 1
    elif whole < 172800:
        amount, unit = whole // 3600, 2
    else:
        amount, unit = whole // 86400, 3
    if locale == "ar":
        singular = ("ثانية", "دقيقة", "ساعة", "يوم")[unit]
        plural = ("ثوانٍ", "دقائق", "ساعات", "أيام")[unit]
        return f"{amount} {plural if 3 <= amount <= 10 else singular}"
    return f"{amount} {(('s', 'min', 'h', 'j') if locale == 'fr' else ('s', 'min', 'h', 'd'))[unit]}"


#: The page's own words.
UI: Final[Mapping[str, T]] = {
    "site_title": _t(
        "توثيق — التحقق من الشهادات", "Tawtiq — Vérification des diplômes", "Tawtiq — Diploma verification"
    ),
    "skip": _t("انتقل إلى المحتوى", "Aller au contenu", "Skip to content"),
    "languages": _t("اللغة", "Langue", "Language"),
    "home_heading": _t(
        "التحقق من شهادة البكالوريا", "Vérifier un diplôme du baccalauréat", "Verify a baccalaureate diploma"
    ),
    "home_lead": _t(
        "تحقّق في ثوانٍ من أن الشهادة الرقمية صادرة فعلًا عن جهة موثوقة وأنها غير ملغاة.",
        "Vérifiez en quelques secondes qu'un diplôme numérique a bien été émis par une autorité reconnue et "
        "qu'il n'a pas été révoqué.",
        "Check in seconds that a digital diploma was really issued by a trusted authority and has not been revoked.",
    ),
    "paste_heading": _t("الصق رابطًا أو شهادة", "Coller un lien ou un justificatif", "Paste a link or a credential"),
    "paste_label": _t(
        "رابط المشاركة أو نص الشهادة", "Lien de partage ou texte du justificatif", "Share link or credential text"
    ),
    "paste_hint": _t(
        "رابط مشاركة من هذه الخدمة، أو الشهادة الموقَّعة نفسها، أو نص رمز شهادة مطبوعة (TQ1:…).",
        "Un lien de partage de ce service, le justificatif signé lui-même, ou le texte du code d'un diplôme "
        "imprimé (TQ1:…).",
        "A share link from this service, the signed credential itself, or a printed diploma's code text (TQ1:…).",
    ),
    "verify_button": _t("تحقّق", "Vérifier", "Verify"),
    "qr_heading": _t("صورة رمز QR", "Photo d'un code QR", "Photo of a QR code"),
    "qr_label": _t(
        "صورة أو لقطة شاشة لرمز QR", "Photo ou capture d'écran du code QR", "Photo or screenshot of the QR code"
    ),
    "qr_hint": _t(
        "التقط صورة واضحة للرمز، أو اختر لقطة شاشة. رمز الشهادة المطبوعة يُتحقَّق من توقيعه دون اتصال.",
        "Prenez une photo nette du code, ou choisissez une capture d'écran. Le code d'un diplôme imprimé se "
        "vérifie même hors ligne.",
        "Take a sharp photo of the code, or choose a screenshot. A printed diploma's code checks even offline.",
    ),
    "qr_button": _t("تحقّق من الصورة", "Vérifier la photo", "Verify the photo"),
    "wallet_heading": _t(
        "اطلب الشهادة من محفظة الخريج", "Demander le diplôme au portefeuille du diplômé", "Ask the graduate's wallet"
    ),
    "wallet_lead": _t(
        "يظهر رمز QR يمسحه الخريج بمحفظته، وتتحدّث هذه الصفحة تلقائيًا عند ردّه.",
        "Un code QR s'affiche : le diplômé le scanne avec son portefeuille, et cette page se met à jour à sa réponse.",
        "A QR code appears: the graduate scans it with their wallet, and this page updates when they answer.",
    ),
    "wallet_claims": _t("البيانات المطلوبة", "Données demandées", "Data requested"),
    "wallet_private_note": _t(
        "لا تطلب البيانات الشخصية (رقم البطاقة الوطنية، تاريخ ومكان الازدياد، رمز مسار) إلا مؤسسة مسجَّلة عبر واجهة "
        "الخدمة البرمجية.",
        "Les données personnelles (n° CNIE, date et lieu de naissance, code Massar) ne sont demandées que par un "
        "établissement enregistré, par l'API du service.",
        "Personal data (CNIE number, birth date and place, Massar code) is asked for only by a registered "
        "institution, through the verifier's API.",
    ),
    "wallet_button": _t("إنشاء رمز QR للمحفظة", "Créer le code QR", "Create the QR code"),
    "wait_heading": _t(
        "امسح هذا الرمز بتطبيق المحفظة", "Scannez ce code avec le portefeuille", "Scan this code with the wallet"
    ),
    "wait_qr_alt": _t(
        "رمز QR لطلب التحقق", "Code QR de la demande de vérification", "QR code of the verification request"
    ),
    "wait_same_device": _t(
        "فتح المحفظة على هذا الجهاز", "Ouvrir le portefeuille de cet appareil", "Open the wallet on this device"
    ),
    "wait_pending": _t("في انتظار المحفظة…", "En attente du portefeuille…", "Waiting for the wallet…"),
    "wait_retrieved": _t(
        "فتحت المحفظة الطلب؛ في انتظار موافقة الخريج…",
        "Le portefeuille a ouvert la demande ; en attente de l'accord du diplômé…",
        "The wallet opened the request; waiting for the graduate's consent…",
    ),
    "wait_answered": _t("وصل الرد، جارٍ التحقق…", "Réponse reçue, vérification…", "Answer received, verifying…"),
    "wait_failed": _t(
        "رفضت المحفظة الطلب.", "Le portefeuille a refusé la demande.", "The wallet declined the request."
    ),
    "wait_expired": _t(
        "انتهت صلاحية الطلب. ابدأ طلبًا جديدًا.", "La demande a expiré. Recommencez.", "The request expired. Start again."
    ),
    "wait_expires": _t("ينتهي الطلب في", "La demande expire à", "The request expires at"),
    "wait_result": _t("عرض النتيجة", "Voir le résultat", "See the result"),
    "issuer": _t("الجهة المصدرة", "Émetteur", "Issuer"),
    "issuer_unknown": _t(
        "جهة غير موجودة في قائمة الثقة", "Émetteur absent de la liste de confiance", "Issuer not on the trust list"
    ),
    "claims_heading": _t("البيانات المكشوفة", "Données communiquées", "Disclosed data"),
    "claims_unreliable": _t(
        "البيانات كما قُدِّمت — لا تعتمد عليها",
        "Données telles que présentées — ne pas s'y fier",
        "Data as presented — do not rely on it",
    ),
    "claims_none": _t("لم يُكشف عن أي بيانات.", "Aucune donnée communiquée.", "No data was disclosed."),
    "checks_heading": _t("الفحوص", "Vérifications", "Checks"),
    "technical": _t("تفاصيل تقنية", "Détails techniques", "Technical details"),
    "about_heading": _t("عن هذا التحقق", "À propos de cette vérification", "About this check"),
    "trust_list_version": _t("إصدار قائمة الثقة", "Version de la liste de confiance", "Trust list version"),
    "status_age": _t("عمر بيانات الحالة", "Âge des données de statut", "Age of the status data"),
    "status_as_of": _t(
        "{purpose}: الحالة كما نشرتها الجهة المصدرة على الساعة {time}، قبل {age}",
        "{purpose} : statut tel que publié par l'émetteur à {time}, il y a {age}",
        "{purpose}: status as published by the issuer at {time}, {age} ago",
    ),
    "status_as_of_stale": _t(
        "{purpose}: تعذّر التحديث؛ الحالة كما نشرتها الجهة المصدرة على الساعة {time}، قبل {age}",
        "{purpose} : mise à jour impossible ; statut tel que publié par l'émetteur à {time}, il y a {age}",
        "{purpose}: could not refresh; status as published by the issuer at {time}, {age} ago",
    ),
    "status_none": _t("لم تُستعمل بيانات حالة", "Aucune donnée de statut utilisée", "No status data was used"),
    "status_offline": _t(
        "لم تُفحص الحالة: تعذّر الوصول إلى قائمة الجهة المصدرة (دون اتصال)",
        "Statut non vérifié : la liste de l'émetteur est injoignable (hors ligne)",
        "Status not checked: the issuer's list could not be reached (offline)",
    ),
    "offline_heading": _t("رمز الشهادة المطبوعة (TQ1)", "Code du diplôme imprimé (TQ1)", "Printed diploma code (TQ1)"),
    "offline_signature": _t(
        "فُحص التوقيع دون اتصال بمفاتيح الجهة المصدرة التي يحتفظ بها هذا المُحقِّق.",
        "Signature vérifiée hors ligne, avec les clés de l'émetteur que ce vérificateur détient.",
        "Signature checked offline, with the issuer keys this verifier holds.",
    ),
    "offline_status_checked": _t(
        "أُضيفت الحالة من قائمة الجهة المصدرة كما نُشرت على الساعة {time}.",
        "Statut ajouté d'après la liste de l'émetteur publiée à {time}.",
        "Status added from the issuer's list as published at {time}.",
    ),
    "purpose_revocation": _t("الإلغاء", "révocation", "revocation"),
    "purpose_suspension": _t("الإيقاف", "suspension", "suspension"),
    "verified_at": _t("وقت التحقق", "Vérifié le", "Verified at"),
    "format": _t("الصيغة", "Format", "Format"),
    "again": _t("تحقّق من شهادة أخرى", "Vérifier un autre diplôme", "Verify another diploma"),
    "shared_note": _t(
        "قدّمها حاملها في {created}، والرابط صالح حتى {expires}. يُعاد التحقق منها عند كل زيارة.",
        "Présenté par son titulaire le {created} ; lien valable jusqu'au {expires}. Revérifié à chaque visite.",
        "Presented by its holder on {created}; the link is valid until {expires}. Checked again at each visit.",
    ),
    "pasted_note": _t(
        "شهادة ملصقة: يُثبت التحقق صحتها وحالتها، لا هوية من قدّمها.",
        "Justificatif collé : la vérification prouve son authenticité et son statut, pas l'identité de qui le "
        "présente.",
        "Pasted credential: the check proves its authenticity and status, not who is presenting it.",
    ),
    "gone_heading": _t("هذا الرابط لم يعد متاحًا", "Ce lien n'est plus disponible", "This link is no longer available"),
    "gone_revoked": _t("سحبه حامل الشهادة.", "Son titulaire l'a retiré.", "Its holder withdrew it."),
    "gone_expired": _t("انتهت مدة صلاحية الرابط.", "Le lien a expiré.", "The link has expired."),
    "gone_unknown": _t(
        "لا يوجد رابط بهذا العنوان.", "Aucun lien à cette adresse.", "There is no link at this address."
    ),
    "gone_advice": _t(
        "اطلب من الخريج رابطًا جديدًا.", "Demandez un nouveau lien au diplômé.", "Ask the graduate for a new link."
    ),
    "error_heading": _t("تعذّر إتمام الطلب", "La demande n'a pas abouti", "The request could not be completed"),
    "back": _t("العودة", "Retour", "Back"),
    "footer": _t(
        "خدمة التحقق من شهادات البكالوريا الرقمية",
        "Service de vérification des diplômes numériques du baccalauréat",
        "Verification service for digital baccalaureate diplomas",
    ),
}

#: The page's error messages, by error code.
PAGE_ERRORS: Final[Mapping[str, T]] = {
    "qr.not_found": _t(
        "لم يُعثر على رمز QR في الصورة. قرّب الكاميرا والتقط الصورة واضحة ومن الأمام.",
        "Aucun code QR trouvé dans l'image. Rapprochez-vous et photographiez-le net et de face.",
        "No QR code was found in the image. Move closer and take a sharp, straight-on photo.",
    ),
    "qr.image_unreadable": _t(
        "الملف ليس صورة قابلة للقراءة.", "Le fichier n'est pas une image lisible.", "The file is not a readable image."
    ),
    "qr.image_too_large": _t("الصورة كبيرة جدًا.", "L'image est trop grande.", "The image is too large."),
    "qr.image_type_unsupported": _t(
        "نوع الملف غير مقبول. أرسل صورة PNG أو JPEG أو WebP.",
        "Ce type de fichier n'est pas accepté. Envoyez une image PNG, JPEG ou WebP.",
        "This type of file is not accepted. Send a PNG, JPEG or WebP image.",
    ),
    "qr.busy": _t(
        "تُقرأ صور أخرى الآن. أعد المحاولة بعد بضع ثوانٍ.",
        "D'autres images sont en cours de lecture. Réessayez dans quelques secondes.",
        "Other pictures are being read right now. Try again in a few seconds.",
    ),
    "page.input_empty": _t(
        "الصق رابطًا أو شهادة أولًا.", "Collez d'abord un lien ou un justificatif.", "Paste a link or a credential first."
    ),
    "page.image_missing": _t("اختر صورة أولًا.", "Choisissez d'abord une image.", "Choose an image first."),
    "page.foreign_link": _t(
        "لا تُفتح إلا روابط هذه الخدمة. الصق الشهادة نفسها.",
        "Seuls les liens de ce service sont ouverts. Collez le justificatif lui-même.",
        "Only links of this service are opened. Paste the credential itself.",
    ),
    "page.wallet_link": _t(
        "هذا طلب موجَّه إلى محفظة وليس شهادة. امسحه بتطبيق المحفظة.",
        "Ceci est une demande destinée à un portefeuille, pas un justificatif. Scannez-la avec un portefeuille.",
        "This is a request for a wallet, not a credential. Scan it with a wallet app.",
    ),
    "oid4vp.claims_": _t("اختر بيانًا واحدًا على الأقل.", "Choisissez au moins une donnée.", "Choose at least one item."),
    "oid4vp.failed": UI["wait_failed"],
    "oid4vp.": UI["wait_expired"],
    "request.too_large": _t(
        "الملف أو النص المرسل كبير جدًا.",
        "Le fichier ou le texte envoyé est trop volumineux.",
        "What was sent is too large.",
    ),
    "request.protected_claims": _t(
        "لا تطلب البيانات الشخصية إلا مؤسسة مسجَّلة.",
        "Seul un établissement enregistré peut demander les données personnelles.",
        "Only a registered institution may ask for personal data.",
    ),
    "request.cross_site": _t(
        "رُفض هذا الطلب لأنه أُرسل من موقع آخر. افتح صفحة التحقق مباشرةً وأعد المحاولة.",
        "Cette demande a été refusée car elle vient d'un autre site. Ouvrez directement la page de vérification et "
        "recommencez.",
        "This request was refused because it came from another site. Open the verification page directly and try "
        "again.",
    ),
    "request.rate_limited": _t(
        "طلبات كثيرة جدًا. أعد المحاولة لاحقًا.",
        "Trop de demandes. Réessayez plus tard.",
        "Too many requests. Try later.",
    ),
    "request.": _t("الطلب غير صالح.", "La demande n'est pas valide.", "The request is not valid."),
}
