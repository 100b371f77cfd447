"""The portal's words in Arabic (the default, right-to-left) and French: page text, field names, refusals.

Every refusal code the portal shows has an entry in :data:`ERRORS`; a code without one falls back to its family
(``identity.`` → the generic login refusal), so a new code is never shown as nothing and never as the
technical message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeAlias

from portal.complaint_messages import COMPLAINT_ERRORS

Locale: TypeAlias = Literal["ar", "fr"]
LOCALES: Final[tuple[Locale, ...]] = ("ar", "fr")
DEFAULT_LOCALE: Final[Locale] = "ar"
DIRECTION: Final[Mapping[Locale, str]] = {"ar": "rtl", "fr": "ltr"}
LANGUAGE_NAMES: Final[Mapping[Locale, str]] = {"ar": "العربية", "fr": "Français"}

T: TypeAlias = Mapping[Locale, str]


def _t(ar: str, fr: str) -> T:
    return {"ar": ar, "fr": fr}


def as_locale(value: str | None) -> Locale:
    """``value`` if it names a supported locale (``fr``, ``fr-MA``…), else Arabic."""
    primary = (value or "").strip().lower().split("-")[0]
    return "fr" if primary == "fr" else DEFAULT_LOCALE


UI: Final[Mapping[str, T]] = {
    "site_title": _t("بوابة المترشحين", "Portail des candidats"),
    "skip": _t("انتقل إلى المحتوى", "Aller au contenu"),
    "languages": _t("اللغة", "Langue"),
    "menu": _t("القائمة", "Menu"),
    "footer": _t(
        "وزارة التربية الوطنية — امتحانات البكالوريا", "Ministère de l'Éducation nationale — examens du baccalauréat"
    ),
    "welcome_heading": _t("بوابة مترشحي البكالوريا", "Portail des candidats au baccalauréat"),
    "welcome_lead": _t(
        "تحقق من معطياتك الشخصية، وحمّل استدعاءك، واطلع على نتيجتك عند الإعلان عنها.",
        "Vérifiez vos données personnelles, téléchargez votre convocation et consultez votre résultat dès sa "
        "proclamation.",
    ),
    "welcome_how": _t(
        "يتم الدخول بواسطة البطاقة الوطنية للتعريف الإلكترونية ورمزها السري.",
        "La connexion se fait avec la carte nationale d'identité électronique et son code PIN.",
    ),
    "login_button": _t("الدخول بالبطاقة الوطنية الإلكترونية", "Se connecter avec la CNIE électronique"),
    "logout_button": _t("تسجيل الخروج", "Se déconnecter"),
    "logged_in_as": _t("متصل باسم", "Connecté en tant que"),
    "nav_data": _t("معطياتي الشخصية", "Mes données"),
    "nav_convocation": _t("الاستدعاء", "Convocation"),
    "nav_results": _t("النتيجة", "Résultat"),
    "nav_diploma": _t("شهادتي", "Mon diplôme"),
    "nav_staff": _t("طلبات التصحيح", "Demandes de correction"),
    "nav_scholarship": _t("منحة التعليم العالي", "Bourse d'études"),
    "data_heading": _t("معطياتي الشخصية", "Mes données personnelles"),
    "data_lead": _t(
        "تحقق من هذه المعطيات كما هي مسجلة في ملف الامتحان، ثم أكدها أو اطلب تصحيح ما هو خاطئ.",
        "Vérifiez ces données telles qu'elles figurent au registre de l'examen, puis confirmez-les ou demandez la "
        "correction de ce qui est inexact.",
    ),
    "data_not_registered": _t(
        "لا يوجد تسجيل باسمك في دورة {session}.", "Aucune inscription à votre nom pour la session {session}."
    ),
    "state_unconfirmed": _t("في انتظار تأكيدك", "En attente de votre confirmation"),
    "state_confirmed": _t("أكدتَ معطياتك", "Vous avez confirmé vos données"),
    "state_corrections_pending": _t("طلب تصحيح قيد الدراسة", "Demande de correction en cours d'examen"),
    "state_settled": _t("تم البت في طلبات التصحيح", "Vos demandes de correction ont été traitées"),
    "state_label": _t("الحالة", "État"),
    "confirm_heading": _t("تأكيد المعطيات", "Confirmer mes données"),
    "confirm_lead": _t("المعطيات أعلاه صحيحة.", "Les données ci-dessus sont exactes."),
    "confirm_button": _t("أؤكد صحة معطياتي", "Je confirme mes données"),
    "confirmed_note": _t(
        "تم تسجيل تأكيدك. يمكنك الآن تحميل استدعائك.", "Confirmation enregistrée. Votre convocation est disponible."
    ),
    "correction_heading": _t("طلب تصحيح", "Demander une correction"),
    "correction_field": _t("المعطى المراد تصحيحه", "Donnée à corriger"),
    "correction_proposed": _t("القيمة الصحيحة", "Valeur correcte"),
    "correction_comment": _t("تعليق (اختياري)", "Commentaire (facultatif)"),
    "correction_hint": _t(
        "ستدرس مؤسستك طلبك. أرفق الوثائق المثبتة لدى إدارة المؤسسة إذا طُلب منك ذلك.",
        "Votre établissement examinera la demande ; présentez les justificatifs à son administration si on vous "
        "le demande.",
    ),
    "correction_button": _t("إرسال طلب التصحيح", "Envoyer la demande"),
    "correction_sent": _t("تم إرسال طلب التصحيح.", "Demande de correction envoyée."),
    "corrections_heading": _t("طلبات التصحيح", "Mes demandes de correction"),
    "correction_pending": _t("قيد الدراسة", "En cours d'examen"),
    "correction_accepted": _t("مقبول", "Acceptée"),
    "correction_refused": _t("مرفوض", "Refusée"),
    "correction_reason": _t("السبب", "Motif"),
    "current_value": _t("القيمة الحالية", "Valeur actuelle"),
    "proposed_value": _t("القيمة المقترحة", "Valeur proposée"),
    "convocation_heading": _t("استدعاء اجتياز الامتحان", "Convocation à l'examen"),
    "convocation_ready": _t(
        "استدعاؤك جاهز. احمله معك يوم الامتحان مع بطاقتك الوطنية.",
        "Votre convocation est prête. Présentez-la le jour de l'examen avec votre CNIE.",
    ),
    "convocation_button": _t("تحميل الاستدعاء (PDF)", "Télécharger la convocation (PDF)"),
    "convocation_not_ready": _t(
        "يصبح الاستدعاء متاحًا بعد تأكيد معطياتك الشخصية أو البت في طلبات التصحيح.",
        "La convocation est disponible une fois vos données confirmées ou vos demandes de correction traitées.",
    ),
    "results_heading": _t("نتيجة الامتحان", "Résultat de l'examen"),
    "results_announced_on": _t(
        "يُعلن عن النتائج يوم {date} على الساعة {time} بتوقيت المغرب.",
        "Les résultats sont proclamés le {date} à {time}, heure du Maroc.",
    ),
    "results_not_scheduled": _t(
        "لم يُحدَّد بعد موعد الإعلان عن النتائج.", "La date de proclamation des résultats n'est pas encore fixée."
    ),
    "results_none": _t("لا توجد نتيجة باسمك في هذه الدورة.", "Aucun résultat à votre nom pour cette session."),
    "decision": _t("القرار", "Décision"),
    "decision_admitted": _t("ناجح(ة)", "Admis(e)"),
    "decision_catch_up": _t("مؤهل(ة) للدورة الاستدراكية", "Admis(e) à la session de rattrapage"),
    "decision_not_admitted": _t("غير ناجح(ة)", "Non admis(e)"),
    "average": _t("المعدل العام", "Moyenne générale"),
    "mention": _t("الميزة", "Mention"),
    "marks_heading": _t("النقط حسب المادة", "Notes par matière"),
    "subject": _t("المادة", "Matière"),
    "coefficient": _t("المعامل", "Coef."),
    "mark": _t("النقطة على 20", "Note /20"),
    "catch_up_outcome": _t("نتيجة الدورة الاستدراكية", "Résultat après rattrapage"),
    "staff_heading": _t("طلبات التصحيح المعروضة عليك", "Demandes de correction à traiter"),
    "staff_scope": _t("نطاق المراجعة", "Périmètre"),
    "staff_empty": _t("لا توجد طلبات في الانتظار.", "Aucune demande en attente."),
    "staff_candidate": _t("المترشح(ة)", "Candidat(e)"),
    "staff_reason": _t("السبب (إلزامي عند الرفض)", "Motif (obligatoire en cas de refus)"),
    "staff_accept": _t("قبول", "Accepter"),
    "staff_refuse": _t("رفض", "Refuser"),
    "staff_decided": _t("تم تسجيل القرار.", "Décision enregistrée."),
    "staff_complaints_link": _t("التظلمات بشأن النقط", "Réclamations sur les notes"),
    "error_heading": _t("تعذّر إتمام الطلب", "La demande n'a pas abouti"),
    "back": _t("العودة إلى الصفحة الرئيسية", "Retour à l'accueil"),
    "login_again": _t("الدخول من جديد", "Se reconnecter"),
    "comment": _t("التعليق", "Commentaire"),
}

#: The refusals the pages explain, by code or code family (a prefix ending in ".").
ERRORS: Final[Mapping[str, T]] = {
    "session.required": _t("يجب تسجيل الدخول لرؤية هذه الصفحة.", "Connectez-vous pour voir cette page."),
    "session.unknown": _t(
        "جلستك غير صالحة (ربما سجلت الخروج). يرجى الدخول من جديد.",
        "Votre session n'est pas valable (vous vous êtes peut-être déconnecté). Reconnectez-vous.",
    ),
    "session.expired": _t("انتهت جلستك. يرجى الدخول من جديد.", "Votre session a expiré. Reconnectez-vous."),
    "login.unknown": _t(
        "عملية الدخول هذه انتهت أو لم تبدأ من هذا المتصفح. يرجى البدء من جديد.",
        "Cette connexion est déjà terminée ou n'a pas commencé dans ce navigateur. Recommencez.",
    ),
    "login.expired": _t(
        "استغرقت عملية الدخول وقتًا طويلًا. يرجى البدء من جديد.", "La connexion a pris trop de temps. Recommencez."
    ),
    "identity.state_mismatch": _t(
        "رد خدمة التعريف لا يطابق عملية الدخول التي بدأتها (قد يكون مزوّرًا أو مُعادًا).",
        "La réponse du service d'identification ne correspond pas à la connexion commencée (falsifiée ou rejouée).",
    ),
    "identity.code_invalid": _t(
        "رمز الدخول غير صالح أو سبق استعماله.", "Le code de connexion est invalide ou a déjà servi."
    ),
    "identity.audience": _t(
        "شهادة الهوية موجهة إلى خدمة أخرى.", "L'attestation d'identité est destinée à un autre service."
    ),
    "identity.expired": _t("انتهت صلاحية شهادة الهوية.", "L'attestation d'identité a expiré."),
    "identity.signature": _t(
        "توقيع شهادة الهوية غير صالح أو غائب.", "La signature de l'attestation d'identité est invalide ou absente."
    ),
    "identity.nonce": _t(
        "شهادة الهوية لا تخص عملية الدخول هذه.", "L'attestation d'identité ne correspond pas à cette connexion."
    ),
    "identity.acr_too_low": _t(
        "مستوى الضمان غير كافٍ: يجب الدخول بالبطاقة الإلكترونية ورمزها السري.",
        "Niveau de garantie insuffisant : connectez-vous avec la carte électronique et son code PIN.",
    ),
    "identity.provider_error": _t(
        "رفضت خدمة التعريف الدخول أو تم إلغاؤه.", "Le service d'identification a refusé ou annulé la connexion."
    ),
    "identity.provider_unreachable": _t(
        "خدمة التعريف غير متاحة حاليًا. أعد المحاولة بعد قليل.",
        "Le service d'identification est injoignable. Réessayez dans un instant.",
    ),
    "identity.": _t("تعذّر التحقق من هويتك.", "Votre identité n'a pas pu être vérifiée."),
    "request.csrf": _t(
        "لم يُرسَل هذا النموذج من صفحتك على البوابة. أعد تحميل الصفحة وحاول من جديد.",
        "Ce formulaire ne vient pas de votre page du portail. Rechargez la page et réessayez.",
    ),
    "request.cross_site": _t(
        "لا يُقبل هذا النموذج إلا من صفحات البوابة.", "Ce formulaire n'est accepté que depuis les pages du portail."
    ),
    "staff.forbidden": _t(
        "هذه الصفحة مخصصة للمراجعين المعتمدين.", "Cette page est réservée aux examinateurs habilités."
    ),
    "staff.not_in_queue": _t(
        "هذا الطلب ليس ضمن الطلبات المعروضة عليك أو تم البت فيه.",
        "Cette demande n'est pas dans votre file ou a déjà été traitée.",
    ),
    "convocation.not_ready": _t(
        "يصبح الاستدعاء متاحًا بعد تأكيد معطياتك أو البت في طلبات التصحيح.",
        "La convocation est disponible une fois vos données confirmées ou vos corrections traitées.",
    ),
    "convocation.unprintable": _t(
        "تعذّر إعداد استدعائك بسبب خلل في المعطيات المسجلة. تم إشعار الوزارة؛ أعد المحاولة لاحقًا أو اتصل بمؤسستك.",
        "Votre convocation ne peut pas être établie à cause d'une anomalie des données enregistrées. Le ministère "
        "en est informé ; réessayez plus tard ou contactez votre établissement.",
    ),
    "request.too_large": _t("الطلب كبير جدًا.", "La demande est trop volumineuse."),
    "request.not_found": _t("الصفحة غير موجودة.", "Page introuvable."),
    "request.form_malformed": _t("تعذرت قراءة النموذج.", "Le formulaire est illisible."),
    "candidate.unknown": _t("لا يوجد تسجيل باسمك في هذه الدورة.", "Aucune inscription à votre nom pour cette session."),
    "personal_data.corrections_pending": _t(
        "لا يمكن تأكيد المعطيات قبل البت في طلبات التصحيح.",
        "Les données ne peuvent être confirmées avant la décision sur vos demandes de correction.",
    ),
    "personal_data.confirmed": _t(
        "لقد أكدت معطياتك؛ لم يعد بالإمكان طلب تصحيح.",
        "Vous avez confirmé vos données : aucune correction ne peut plus être demandée.",
    ),
    "correction.field_unknown": _t("لا يمكن طلب تصحيح هذا المعطى هنا.", "Cette donnée ne peut pas être corrigée ici."),
    "correction.value_invalid": _t(
        "القيمة المقترحة فارغة أو طويلة جدًا أو تحتوي على رموز غير مقبولة (والتاريخ بصيغة YYYY-MM-DD).",
        "La valeur proposée est vide, trop longue ou contient des caractères refusés (une date : AAAA-MM-JJ).",
    ),
    "correction.same_value": _t("القيمة المقترحة هي نفسها المسجلة.", "La valeur proposée est celle déjà enregistrée."),
    "correction.comment_invalid": _t(
        "يجب أن يوضح التعليق سبب الطلب بنص عادي.", "Le commentaire doit expliquer la demande, en texte simple."
    ),
    "correction.pending": _t(
        "يوجد طلب تصحيح لهذا المعطى قيد الدراسة.", "Une demande de correction de cette donnée est déjà en cours."
    ),
    "correction.reason_required": _t("يجب ذكر سبب الرفض.", "Le motif du refus est obligatoire."),
    "correction.decided": _t("تم البت في هذا الطلب من قبل.", "Cette demande a déjà été traitée."),
    "staff.decision": _t("اختر القبول أو الرفض.", "Choisissez d'accepter ou de refuser."),
    "scholarship.not_admitted": _t(
        "طلب المنحة مخصص للمترشحين الناجحين في هذه الدورة بعد الإعلان عن النتائج.",
        "La bourse est réservée aux candidats admis à cette session, une fois le résultat proclamé.",
    ),
    "scholarship.no_cnie": _t(
        "يتطلب طلب المنحة الدخول بالبطاقة الوطنية الإلكترونية.",
        "La demande de bourse exige la connexion avec la CNIE électronique.",
    ),
    "scholarship.submitted": _t(
        "تم إرسال طلبك من قبل: لا يمكن تعديله أو إرساله مرة ثانية.",
        "Votre demande est déjà déposée : elle ne peut plus être modifiée ni déposée une seconde fois.",
    ),
    "scholarship.incomplete": _t(
        "يجب ملء جميع الخانات قبل إرسال الطلب.", "Tous les champs sont nécessaires pour déposer la demande."
    ),
    "scholarship.family_situation": _t(
        "اختر وضعية عائلية من القائمة.", "Choisissez une situation familiale de la liste."
    ),
    "scholarship.income_bracket": _t("اختر شريحة دخل من القائمة.", "Choisissez une tranche de revenu de la liste."),
    "scholarship.siblings": _t(
        "أدخل عددًا صحيحًا (بالأرقام 0-9) في حدود المسموح به.",
        "Indiquez un nombre entier (chiffres 0-9) dans les limites permises.",
    ),
    "scholarship.establishment": _t("اختر مؤسسة من القائمة.", "Choisissez un établissement de la liste."),
    "scholarship.action": _t("اختر الحفظ أو الإرسال.", "Choisissez d'enregistrer ou de déposer."),
    "scholarship.decision": _t("اختر المنح أو الرفض.", "Choisissez d'accorder ou de refuser."),
    "scholarship.reason_required": _t(
        "يجب ذكر سبب الرفض بنص عادي.", "Le motif du refus est obligatoire, en texte simple."
    ),
    "scholarship.not_eligible": _t(
        "المعايير لا تخول هذا الطلب المنحة: لا يمكن إلا رفضه.",
        "Les critères ne rendent pas cette demande éligible : elle ne peut qu'être refusée.",
    ),
    "scholarship.state": _t(
        "لا يمكن القيام بهذا الإجراء في المرحلة الحالية للطلب (ربما تم البت فيه).",
        "Cette action n'est pas possible à l'étape actuelle de la demande (peut-être déjà décidée).",
    ),
    "scholarship.other_province": _t(
        "هذا الطلب تابع لإقليم آخر غير الذي تتولاه.", "Cette demande relève d'une autre province que la vôtre."
    ),
    "scholarship.unknown": _t("لا يوجد طلب مُرسَل بهذا الرقم.", "Aucune demande déposée sous ce numéro."),
    "scholarship.": _t("تعذّر إتمام طلب المنحة.", "La demande de bourse n'a pas pu aboutir."),
    "diploma.unknown": _t("لا توجد شهادة لك بهذا الرقم.", "Aucun diplôme à votre nom ne porte ce numéro."),
    "diploma.superseded": _t(
        "عُوّضت هذه النسخة بنسخة مصححة؛ حمّل النسخة الحالية.",
        "Cette version a été remplacée par une version corrigée ; téléchargez la version en vigueur.",
    ),
    "diploma.not_active": _t(
        "شهادتك مسحوبة أو موقوفة: لا يمكن طباعتها.", "Votre diplôme est retiré ou suspendu : il ne peut être imprimé."
    ),
    "share.diploma_not_active": _t(
        "شهادتك مسحوبة أو موقوفة: لا يمكن مشاركتها. السبب مذكور في صفحة شهادتك.",
        "Votre diplôme est retiré ou suspendu : il ne peut pas être partagé. Le motif figure sur la page du diplôme.",
    ),
    "share.diploma_superseded": _t(
        "عُوّضت هذه النسخة بنسخة مصححة؛ شارك النسخة الحالية.",
        "Cette version a été remplacée par une version corrigée ; partagez la version en vigueur.",
    ),
    "share.unknown": _t("لا يوجد لديك رابط مشاركة بهذا الرقم.", "Aucun de vos liens de partage ne porte ce numéro."),
    "share.claims": _t("اختر ما يظهر في الرابط من معطيات الشهادة.", "Choisissez ce que le lien montre du diplôme."),
    "share.lifetime": _t("اختر مدة الرابط من المدد المقترحة.", "Choisissez la durée du lien parmi celles proposées."),
    "share.refused": _t("رفضت جهة التحقق إنشاء الرابط.", "Le service de vérification a refusé de créer le lien."),
    "share.verifier_unavailable": _t(
        "خدمة التحقق غير متاحة حاليًا. أعد المحاولة بعد قليل.",
        "Le service de vérification est injoignable. Réessayez dans un instant.",
    ),
    "presentation.link": _t(
        "هذا ليس رابط طلب من جهة تحقق (يبدأ بـ openid4vp://).",
        "Ce n'est pas le lien d'une demande de vérificateur (il commence par openid4vp://).",
    ),
    "presentation.expired": _t(
        "انتهى هذا الطلب أو سبقت الإجابة عنه. اطلب من الجهة رابطًا جديدًا.",
        "Cette demande a expiré ou a déjà reçu une réponse. Demandez un nouveau lien au vérificateur.",
    ),
    "presentation.unsupported": _t(
        "لا يمكن للبوابة الإجابة عن هذا الطلب (صيغة أو معطيات غير متاحة).",
        "Le portail ne peut pas répondre à cette demande (format ou données non disponibles).",
    ),
    "presentation.registrars_unset": _t(
        "لا يمكن التحقق من هوية هذه الجهة حاليًا: لم يُشارَك شيء.",
        "L'identité de ce vérificateur ne peut pas être vérifiée pour l'instant : rien n'a été partagé.",
    ),
    "presentation.decision": _t("اختر المشاركة أو الرفض.", "Choisissez de partager ou de refuser."),
    "presentation.answer_refused": _t("لم تقبل الجهة الإجابة.", "Le vérificateur n'a pas accepté la réponse."),
    "presentation.": _t(
        "طلب الجهة غير مقبول: لم يُشارَك شيء. لا تجب عنه.",
        "La demande du vérificateur n'est pas acceptable : rien n'a été partagé. N'y répondez pas.",
    ),
    "x509.": _t(
        "شهادة الجهة غير صالحة: لم يُشارَك شيء. لا تجب عنه.",
        "Le certificat du vérificateur n'est pas valable : rien n'a été partagé. N'y répondez pas.",
    ),
    "portal.holder_key_secret": _t(
        "المشاركة من البوابة غير مفعلة حاليًا.", "Le partage depuis le portail n'est pas activé pour l'instant."
    ),
    "database.": _t("الخدمة مشغولة. أعد المحاولة بعد قليل.", "Le service est occupé. Réessayez dans un instant."),
    **COMPLAINT_ERRORS,
}
_FALLBACK: Final = _t("تعذّر إتمام الطلب.", "La demande n'a pas pu aboutir.")


def error_text(code: str) -> T:
    """The explanation of ``code``: its own entry, its family's, or the generic sentence (the page shows the
    technical reason beside it)."""
    if code in ERRORS:
        return ERRORS[code]
    family = code.split(".", 1)[0] + "."
    return ERRORS.get(family, _FALLBACK)
