"""The words of the complaint pages (a candidate's complaints about a mark, the academy reviewers' queue), in Arabic
and French, and the refusals they explain; :mod:`portal.messages` takes the refusals into its ``ERRORS``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # portal.messages imports this module's refusals
    from portal.messages import T


def _t(ar: str, fr: str) -> T:
    return {"ar": ar, "fr": fr}


COMPLAINT_UI: Final[Mapping[str, T]] = {
    "complaints_heading": _t("التظلم بشأن نقطة", "Réclamation sur une note"),
    "complaints_lead": _t(
        "إذا لاحظت خطأً ماديًا في نقطة مادة من امتحانك الجهوي أو الوطني، يمكنك تقديم تظلم واحد لكل مادة.",
        "Si vous constatez une erreur matérielle dans la note d'une matière de votre examen régional ou national, "
        "vous pouvez déposer une réclamation par matière.",
    ),
    "complaints_opens_on": _t(
        "يُفتح باب التظلمات يوم {date} على الساعة {time}.", "Les réclamations ouvrent le {date} à {time}."
    ),
    "complaints_open_until": _t(
        "يُقبل التظلم إلى غاية {date} على الساعة {time}.", "Réclamations reçues jusqu'au {date} à {time}."
    ),
    "complaints_closed_on": _t(
        "أُغلق باب التظلمات يوم {date} على الساعة {time}.", "Les réclamations sont closes depuis le {date} à {time}."
    ),
    "complaints_not_scheduled": _t("لم يُحدَّد بعد موعد التظلمات.", "La période de réclamation n'est pas encore fixée."),
    "complaints_all_filed": _t(
        "قدّمتَ تظلمًا في كل مادة يمكن التظلم بشأنها.", "Vous avez déposé une réclamation pour chaque matière possible."
    ),
    "complaint_subject": _t("المادة", "Matière"),
    "complaint_kind": _t("نوع الخطأ المادي", "Nature de l'erreur matérielle"),
    "complaint_kind_wrong_sum": _t("خطأ في جمع النقط", "Erreur dans la somme des points"),
    "complaint_kind_unmarked_part": _t("جواب أو جزء لم يُصحَّح", "Réponse ou partie non corrigée"),
    "complaint_kind_transcription": _t("خطأ في نقل النقطة", "Note mal reportée"),
    "complaint_comment": _t("وصف الخطأ", "Description de l'erreur"),
    "complaint_hint": _t(
        "اذكر السؤال أو الجزء المعني. لا يُقبل إلا الخطأ المادي، ولا يُعاد تقييم الأجوبة.",
        "Indiquez la question ou la partie concernée. Seules les erreurs matérielles sont reçues ; les réponses ne "
        "sont pas réévaluées.",
    ),
    "complaint_button": _t("إرسال التظلم", "Déposer la réclamation"),
    "complaint_sent": _t("تم تسجيل تظلمك.", "Votre réclamation est enregistrée."),
    "my_complaints": _t("تظلماتي", "Mes réclamations"),
    "complaint_state": _t("الحالة", "État"),
    "complaint_state_received": _t("تم التوصل به", "Reçue"),
    "complaint_state_under_review": _t("قيد الدراسة", "En cours d'examen"),
    "complaint_state_upheld": _t("مقبول", "Acceptée"),
    "complaint_state_rejected": _t("مرفوض", "Rejetée"),
    "original_mark": _t("النقطة الأصلية", "Note d'origine"),
    "new_mark": _t("النقطة بعد التصحيح", "Note corrigée"),
    "complaint_reason": _t("سبب القرار", "Motif de la décision"),
    "diploma_corrected": _t(
        "تغيّرت نتيجتك بعد قبول التظلم، وصدرت شهادتك المصححة. الشهادة السابقة في محفظتك ملغاة.",
        "Votre résultat a changé après la réclamation et votre diplôme corrigé est émis. L'ancien diplôme de votre "
        "portefeuille est révoqué.",
    ),
    "diploma_revoked": _t(
        "بعد قبول التظلم لم تعد ناجحًا(ة)؛ أُلغيت الشهادة السابقة.",
        "Après la réclamation, vous n'êtes plus admis(e) ; le diplôme précédent est révoqué.",
    ),
    "offer_button": _t("إضافة الشهادة المصححة إلى محفظتي", "Ajouter le diplôme corrigé à mon portefeuille"),
    "offer_heading": _t("شهادتك المصححة", "Votre diplôme corrigé"),
    "offer_lead": _t(
        "امسح رمز الاستجابة السريعة بمحفظتك (أو افتح الرابط على هاتفك)، ثم أدخل الرمز السري.",
        "Scannez le QR code avec votre portefeuille (ou ouvrez le lien sur votre téléphone), puis saisissez le code.",
    ),
    "offer_link": _t("فتح في المحفظة", "Ouvrir dans le portefeuille"),
    "offer_pin": _t("الرمز السري", "Code secret"),
    "offer_expires": _t(
        "العرض صالح مرة واحدة إلى غاية {time}. لا تُطلع أحدًا على الرمز.",
        "Offre valable une fois jusqu'à {time}. Ne communiquez le code à personne.",
    ),
    "offer_back": _t("العودة إلى النتيجة", "Retour au résultat"),
    "staff_complaints_heading": _t("التظلمات المعروضة عليك", "Réclamations à traiter"),
    "staff_filter": _t("تصفية", "Filtrer"),
    "staff_filter_subject": _t("رمز المادة", "Code de la matière"),
    "staff_filter_centre": _t("رمز مركز الامتحان", "Code du centre d'examen"),
    "staff_complaints_empty": _t("لا توجد تظلمات في الانتظار.", "Aucune réclamation en attente."),
    "staff_start_review": _t("بدء الدراسة", "Commencer l'examen"),
    "staff_uphold": _t("قبول مع النقطة المصححة", "Accepter avec la note corrigée"),
    "staff_reject": _t("رفض", "Rejeter"),
    "staff_corrected_mark": _t("النقطة المصححة (على 20)", "Note corrigée (/20)"),
    "staff_decision_reason": _t("السبب (يطلع عليه المترشح)", "Motif (lu par le candidat)"),
    "staff_centre": _t("مركز الامتحان", "Centre d'examen"),
    "staff_confirm_heading": _t("تأكيد القرار", "Confirmer la décision"),
    "staff_confirm_lead": _t(
        "هذا القرار نهائي. تحقق من المترشح(ة) والمادة قبل التأكيد.",
        "Cette décision est définitive. Vérifiez le candidat et la matière avant de confirmer.",
    ),
    "staff_confirm_uphold": _t(
        "قبول التظلم: تُغيَّر النقطة وتُعاد مداولة المترشح(ة)، وقد تُلغى شهادته(ا) وتصدر شهادة مصححة.",
        "Accepter : la note change, le candidat est délibéré de nouveau ; son diplôme peut être révoqué et un "
        "diplôme corrigé émis.",
    ),
    "staff_confirm_reject": _t("رفض التظلم: لا تتغير النقطة.", "Rejeter : la note ne change pas."),
    "staff_confirm_button": _t("تأكيد القرار", "Confirmer la décision"),
    "staff_cancel": _t("إلغاء", "Annuler"),
    "staff_decision": _t("القرار", "Décision"),
    "staff_complaint_decided": _t("تم تسجيل القرار.", "Décision enregistrée."),
    "staff_review_started": _t("بدأت دراسة التظلم.", "Examen de la réclamation commencé."),
    "staff_outcome_unchanged": _t("لم تتغير نتيجة المترشح(ة).", "Le résultat du candidat est inchangé."),
    "staff_outcome_superseded": _t(
        "صدرت شهادة مصححة وأُلغيت السابقة.", "Un diplôme corrigé est émis, l'ancien est révoqué."
    ),
    "staff_outcome_first_diploma": _t(
        "أصبح المترشح(ة) ناجحًا(ة): صدرت شهادته(ا).", "Le candidat est désormais admis : son diplôme est émis."
    ),
    "staff_outcome_revoked": _t(
        "لم يعد المترشح(ة) ناجحًا(ة): أُلغيت شهادته(ا).", "Le candidat n'est plus admis : son diplôme est révoqué."
    ),
}

COMPLAINT_ERRORS: Final[Mapping[str, T]] = {
    "complaint.window_not_open": _t("لم يُفتح باب التظلمات بعد.", "Les réclamations ne sont pas encore ouvertes."),
    "complaint.window_closed": _t(
        "أُغلق باب التظلمات؛ لم يعد بالإمكان تقديم تظلم.",
        "La période de réclamation est close : aucune réclamation n'est plus reçue.",
    ),
    "complaint.duplicate": _t(
        "سبق أن قدّمتَ تظلمًا في هذه المادة؛ يُقبل تظلم واحد لكل مادة.",
        "Vous avez déjà déposé une réclamation pour cette matière : une seule par matière.",
    ),
    "complaint.subject_invalid": _t(
        "لا يمكن التظلم إلا في مادة من امتحانك الجهوي أو الوطني.",
        "Une réclamation ne porte que sur une matière de votre examen régional ou national.",
    ),
    "complaint.kind_invalid": _t(
        "اختر نوع الخطأ المادي من القائمة.", "Choisissez la nature de l'erreur matérielle dans la liste."
    ),
    "complaint.comment_invalid": _t(
        "صف الخطأ بنص عادي (من 1 إلى 1000 حرف).", "Décrivez l'erreur en texte simple (1 à 1000 caractères)."
    ),
    "complaint.reason_required": _t("يجب ذكر سبب القرار.", "Le motif de la décision est obligatoire."),
    "complaint.mark_invalid": _t(
        "النقطة المصححة يجب أن تكون بين 0 و20 ومختلفة عن النقطة الأصلية.",
        "La note corrigée doit être comprise entre 0 et 20 et différer de la note d'origine.",
    ),
    "complaint.decided": _t("تم البت في هذا التظلم من قبل.", "Cette réclamation a déjà été traitée."),
    "complaint.unknown": _t("هذا التظلم غير موجود.", "Cette réclamation n'existe pas."),
    "complaint.other_academy": _t("هذا التظلم تابع لأكاديمية أخرى.", "Cette réclamation relève d'une autre académie."),
    "complaint.session_change": _t(
        "يغيّر هذا التصحيح دورة الشهادة؛ يجب معالجته يدويًا من طرف الوزارة.",
        "Cette correction changerait la session du diplôme : le ministère doit la traiter à part.",
    ),
    "complaint.decision": _t("اختر قبول التظلم أو رفضه.", "Choisissez d'accepter ou de rejeter la réclamation."),
    "complaint.no_result": _t(
        "لا يمكن التظلم قبل الإعلان عن نتيجتك.", "Aucune réclamation avant la proclamation de votre résultat."
    ),
    "complaint.": _t("تعذّر تسجيل التظلم.", "La réclamation n'a pas pu être traitée."),
    "staff.complaint_role": _t(
        "البت في التظلمات من اختصاص مراجعي الأكاديمية.",
        "Les réclamations sont traitées par les examinateurs de l'académie.",
    ),
    "offer.none": _t(
        "لا توجد شهادة مصححة يمكن إضافتها إلى المحفظة.", "Aucun diplôme corrigé à ajouter au portefeuille."
    ),
}
