"""Synthetic cohorts: realistic, reproducible graduates for demos, tests and benchmarks (never real people).

``generate_cohort(count=N, seed=S, session=...)`` yields rows in the import format (:mod:`issuer.cohort`):
Arabic and Latin names drawn from common Moroccan names, the 12 regional academies weighted roughly by
population, their provincial directorates and schools, the real baccalaureate streams weighted like
the real cohort, birth dates for 17-to-21-year-olds, averages from 10.00 to 20.00 with the mentions they
earn (distributed roughly like published results), plausible CNIE numbers (1-2 letters + 6 digits) and
Massar codes (1 letter + 9 digits), unique within the cohort. The same seed gives the same file.
Streaming: memory does not grow with ``count``.
"""

from __future__ import annotations

import csv
import random  # synthetic data, not secrets
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import schemas
from common.private_files import PrivateFile
from issuer.cohort_file import ALL_COLUMNS, ExamSession
from issuer.errors import InputError

MAX_COUNT: Final = 1_000_000

_MALE: Final = (
    ("محمد", "Mohammed"),
    ("أحمد", "Ahmed"),
    ("يوسف", "Youssef"),
    ("عمر", "Omar"),
    ("حمزة", "Hamza"),
    ("أيوب", "Ayoub"),
    ("إلياس", "Ilyas"),
    ("ياسين", "Yassine"),
    ("مهدي", "Mehdi"),
    ("أنس", "Anas"),
    ("زكرياء", "Zakaria"),
    ("إسماعيل", "Ismail"),
    ("عبد الله", "Abdellah"),
    ("عادل", "Adil"),
    ("رضا", "Reda"),
    ("بلال", "Bilal"),
    ("سفيان", "Soufiane"),
    ("خالد", "Khalid"),
    ("نبيل", "Nabil"),
    ("عثمان", "Othmane"),
    ("آدم", "Adam"),
    ("هشام", "Hicham"),
    ("طه", "Taha"),
    ("سعد", "Saad"),
    ("مروان", "Marouane"),
)
_FEMALE: Final = (
    ("فاطمة الزهراء", "Fatima Zahra"),
    ("سلمى", "Salma"),
    ("مريم", "Maryam"),
    ("هبة", "Hiba"),
    ("خديجة", "Khadija"),
    ("إيمان", "Imane"),
    ("سارة", "Sara"),
    ("ياسمين", "Yasmine"),
    ("نور", "Nour"),
    ("آية", "Aya"),
    ("هاجر", "Hajar"),
    ("زينب", "Zineb"),
    ("أسماء", "Asmae"),
    ("كوثر", "Kawtar"),
    ("شيماء", "Chaimae"),
    ("دعاء", "Douae"),
    ("إكرام", "Ikram"),
    ("وئام", "Wiam"),
    ("لينا", "Lina"),
    ("رانيا", "Rania"),
    ("صفاء", "Safae"),
    ("غيثة", "Ghita"),
    ("منال", "Manal"),
    ("سكينة", "Soukaina"),
    ("نسرين", "Nisrine"),
)
_FAMILY: Final = (
    ("العلوي", "EL ALAOUI"),
    ("الإدريسي", "EL IDRISSI"),
    ("بنعلي", "BENALI"),
    ("التازي", "TAZI"),
    ("الفاسي", "EL FASSI"),
    ("بناني", "BENNANI"),
    ("برادة", "BERRADA"),
    ("الشرقاوي", "CHERKAOUI"),
    ("العمراني", "EL AMRANI"),
    ("الحسني", "EL HASSANI"),
    ("الوزاني", "OUAZZANI"),
    ("بوزيان", "BOUZIANE"),
    ("المرابط", "EL MRABET"),
    ("الكتاني", "KETTANI"),
    ("السوسي", "SOUSSI"),
    ("أيت علي", "AIT ALI"),
    ("أوحمو", "OUHAMMOU"),
    ("بوعزة", "BOUAZZA"),
    ("الناصري", "NACIRI"),
    ("التهامي", "TOUHAMI"),
    ("الغزاوي", "GHAZAOUI"),
    ("الجراري", "JIRARI"),
    ("لحلو", "LAHLOU"),
    ("بنجلون", "BENJELLOUN"),
    ("المنصوري", "MANSOURI"),
    ("بلقاضي", "BELKADI"),
    ("الحمداوي", "HAMDAOUI"),
    ("الودغيري", "OUADGHIRI"),
    ("الرحموني", "RAHMOUNI"),
    ("الخطابي", "KHATTABI"),
    ("الزياني", "ZAYANI"),
    ("السقاط", "SEKKAT"),
    ("الرامي", "RAMI"),
    ("الحجوجي", "HJOUJI"),
    ("أمزيان", "AMZIANE"),
)
_PLACES: Final = (
    ("الدار البيضاء", "Casablanca"),
    ("الرباط", "Rabat"),
    ("فاس", "Fès"),
    ("مراكش", "Marrakech"),
    ("طنجة", "Tanger"),
    ("مكناس", "Meknès"),
    ("أكادير", "Agadir"),
    ("وجدة", "Oujda"),
    ("القنيطرة", "Kénitra"),
    ("تطوان", "Tétouan"),
    ("آسفي", "Safi"),
    ("سلا", "Salé"),
    ("الجديدة", "El Jadida"),
    ("بني ملال", "Béni Mellal"),
    ("الناظور", "Nador"),
    ("تازة", "Taza"),
    ("خريبكة", "Khouribga"),
    ("سطات", "Settat"),
    ("العرائش", "Larache"),
    ("الحسيمة", "Al Hoceïma"),
    ("ورزازات", "Ouarzazate"),
    ("الرشيدية", "Errachidia"),
    ("كلميم", "Guelmim"),
    ("العيون", "Laâyoune"),
    ("الداخلة", "Dakhla"),
    ("خنيفرة", "Khénifra"),
    ("تارودانت", "Taroudant"),
    ("برشيد", "Berrechid"),
    ("الصويرة", "Essaouira"),
    ("إفران", "Ifrane"),
)
#: Provinces (directorates) per academy code, Arabic and French names.
_PROVINCES: Final = {
    "01": (
        ("طنجة أصيلة", "Tanger-Assilah"),
        ("تطوان", "Tétouan"),
        ("الحسيمة", "Al Hoceïma"),
        ("العرائش", "Larache"),
        ("شفشاون", "Chefchaouen"),
    ),
    "02": (("وجدة أنكاد", "Oujda-Angad"), ("الناظور", "Nador"), ("بركان", "Berkane"), ("تاوريرت", "Taourirt")),
    "03": (("فاس", "Fès"), ("مكناس", "Meknès"), ("تازة", "Taza"), ("إفران", "Ifrane"), ("صفرو", "Sefrou")),
    "04": (
        ("الرباط", "Rabat"),
        ("سلا", "Salé"),
        ("القنيطرة", "Kénitra"),
        ("الصخيرات تمارة", "Skhirate-Témara"),
        ("الخميسات", "Khémisset"),
    ),
    "05": (
        ("بني ملال", "Béni Mellal"),
        ("خنيفرة", "Khénifra"),
        ("خريبكة", "Khouribga"),
        ("الفقيه بن صالح", "Fquih Ben Salah"),
    ),
    "06": (
        ("أنفا", "Anfa"),
        ("الفداء مرس السلطان", "Al Fida-Mers Sultan"),
        ("الحي الحسني", "Hay Hassani"),
        ("سيدي البرنوصي", "Sidi Bernoussi"),
        ("سطات", "Settat"),
        ("الجديدة", "El Jadida"),
        ("المحمدية", "Mohammedia"),
        ("برشيد", "Berrechid"),
    ),
    "07": (
        ("مراكش", "Marrakech"),
        ("آسفي", "Safi"),
        ("الصويرة", "Essaouira"),
        ("قلعة السراغنة", "El Kelâa des Sraghna"),
    ),
    "08": (("الرشيدية", "Errachidia"), ("ورزازات", "Ouarzazate"), ("تنغير", "Tinghir"), ("زاكورة", "Zagora")),
    "09": (
        ("أكادير إداوتنان", "Agadir Ida-Outanane"),
        ("إنزكان أيت ملول", "Inezgane-Aït Melloul"),
        ("تارودانت", "Taroudant"),
        ("تيزنيت", "Tiznit"),
    ),
    "10": (("كلميم", "Guelmim"), ("طانطان", "Tan-Tan"), ("سيدي إفني", "Sidi Ifni")),
    "11": (("العيون", "Laâyoune"), ("بوجدور", "Boujdour"), ("السمارة", "Es-Semara")),
    "12": (("وادي الذهب", "Oued Ed-Dahab"), ("أوسرد", "Aousserd")),
}
_ACADEMY_WEIGHTS: Final = {
    "01": 11,
    "02": 7,
    "03": 12,
    "04": 14,
    "05": 7,
    "06": 20,
    "07": 13,
    "08": 5,
    "09": 8,
    "10": 1.5,
    "11": 1,
    "12": 0.5,
}
_STREAM_WEIGHTS: Final = {
    "SVT": 29,
    "PC": 22,
    "SH": 16,
    "SE": 7,
    "L": 6,
    "SGC": 5,
    "SM-A": 5,
    "SM-B": 1,
    "STE": 2,
    "STM": 1,
    "SA": 2,
    "AA": 0.5,
    "LA": 1,
    "SC": 1,
}
_SCHOOLS: Final = (
    ("ابن سينا", "Ibn Sina"),
    ("الخوارزمي", "Al Khawarizmi"),
    ("المسيرة", "Al Massira"),
    ("محمد الخامس", "Mohammed V"),
    ("الحسن الثاني", "Hassan II"),
    ("ابن رشد", "Ibn Rochd"),
    ("عمر بن الخطاب", "Omar Ibn Al Khattab"),
    ("الزرقطوني", "Zerktouni"),
    ("علال الفاسي", "Allal El Fassi"),
    ("مولاي إسماعيل", "Moulay Ismail"),
    ("ابن خلدون", "Ibn Khaldoun"),
    ("الفارابي", "Al Farabi"),
    ("طارق بن زياد", "Tarik Ibn Ziad"),
    ("ابن بطوطة", "Ibn Battouta"),
    ("يوسف بن تاشفين", "Youssef Ibn Tachfine"),
    ("المنصور الذهبي", "Al Mansour Eddahbi"),
    ("وادي الذهب", "Oued Eddahab"),
    ("الليمون", "Al Laymoun"),
)
_SCHOOLS_PER_DIRECTORATE: Final = 6
_CNIE_PREFIXES: Final = (
    "A",
    "AB",
    "AD",
    "B",
    "BE",
    "BH",
    "BJ",
    "BK",
    "BL",
    "C",
    "CB",
    "CD",
    "D",
    "DA",
    "E",
    "EE",
    "F",
    "FA",
    "G",
    "GA",
    "H",
    "HA",
    "I",
    "IA",
    "J",
    "JA",
    "JB",
    "JC",
    "K",
    "KB",
    "L",
    "LC",
    "M",
    "N",
    "P",
    "Q",
    "R",
    "S",
    "SH",
    "T",
    "U",
    "V",
    "W",
    "X",
    "Y",
    "Z",
)
_MASSAR_LETTERS: Final = "DEFGHIJKMNPRS"
_AGES: Final = {17: 25, 18: 50, 19: 15, 20: 7, 21: 3}
_OPTION_LANGUAGES: Final = {"fr": 55, "ar": 35, "en": 8, "es": 2}


def _academies() -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in schemas.reference_data()["academies"]}


def _streams() -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in schemas.reference_data()["streams"]}


def _average(rng: random.Random) -> float:
    while True:
        value = rng.gauss(13.0, 2.2)
        if 10.0 <= value <= 19.95:
            return round(value, 2)


def generate_cohort(*, count: int, seed: int, session: ExamSession) -> Iterator[dict[str, str]]:
    """Yield ``count`` rows (column name -> cell) of a synthetic cohort for ``session``."""
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 0 and {MAX_COUNT}, not {count}")
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    academies, streams = _academies(), _streams()
    academy_codes, academy_weights = list(_ACADEMY_WEIGHTS), list(_ACADEMY_WEIGHTS.values())
    stream_codes, stream_weights = list(_STREAM_WEIGHTS), list(_STREAM_WEIGHTS.values())
    ages, age_weights = list(_AGES), list(_AGES.values())
    languages, language_weights = list(_OPTION_LANGUAGES), list(_OPTION_LANGUAGES.values())
    cnie_offset, massar_offset = rng.randrange(1_000_000), rng.randrange(1_000_000_000)
    deliberation_day = {
        code: (date(session.year, 6, 12) if session.type == "normale" else date(session.year, 7, 10))
        + timedelta(days=rng.randrange(3))
        for code in academy_codes
    }
    for number in range(count):
        academy_code = rng.choices(academy_codes, academy_weights)[0]
        academy = academies[academy_code]
        provinces = _PROVINCES[academy_code]
        province_number = rng.randrange(len(provinces))
        province_ar, province_fr = provinces[province_number]
        directorate_code = f"{academy_code}{province_number + 1:02d}"
        school_number = rng.randrange(_SCHOOLS_PER_DIRECTORATE)
        school_ar, school_fr = _SCHOOLS[(int(directorate_code) * 7 + school_number) % len(_SCHOOLS)]
        stream = streams[rng.choices(stream_codes, stream_weights)[0]]
        given_ar, given_lat = rng.choice(_MALE if rng.random() < 0.47 else _FEMALE)
        family_ar, family_lat = rng.choice(_FAMILY)
        place_ar, place_lat = rng.choice(_PLACES)
        age = rng.choices(ages, age_weights)[0]
        birth = date(session.year - age, 1, 1) + timedelta(days=rng.randrange(365))
        average = _average(rng)
        mention = schemas.mention_for(average)
        assert mention is not None
        # Bijections of the row number: unique within the cohort, spread out like real numbers.
        cnie_number = (number * 7_919 + cnie_offset) % 1_000_000
        massar_number = (number * 48_271 + massar_offset) % 1_000_000_000
        yield {
            "familyName.ar": family_ar,
            "familyName.lat": family_lat,
            "givenName.ar": given_ar,
            "givenName.lat": given_lat,
            "birthDate": birth.isoformat(),
            "birthPlace.ar": place_ar,
            "birthPlace.lat": place_lat,
            "cnie": f"{rng.choice(_CNIE_PREFIXES)}{cnie_number:06d}",
            "massarCode": f"{rng.choice(_MASSAR_LETTERS)}{massar_number:09d}",
            "stream.code": stream["code"],
            "stream.ar": stream["ar"],
            "stream.fr": stream["fr"],
            "optionLanguage": rng.choices(languages, language_weights)[0],
            "session.year": str(session.year),
            "session.type": session.type,
            "generalAverage": f"{average:.2f}",
            "mention": mention,
            "academy.code": academy_code,
            "academy.ar": academy["ar"],
            "academy.fr": academy["fr"],
            "directorate.code": directorate_code,
            "directorate.ar": f"المديرية الإقليمية {province_ar}",
            "directorate.fr": f"Direction Provinciale {province_fr}",
            "school.code": f"{directorate_code}A{school_number:03d}",
            "school.ar": f"الثانوية التأهيلية {school_ar}",
            "school.fr": f"Lycée qualifiant {school_fr}",
            "deliberationDate": deliberation_day[academy_code].isoformat(),
        }


def write_cohort(path: Path, *, count: int, seed: int, session: ExamSession) -> int:
    """Write a synthetic cohort to ``path`` (UTF-8 CSV, header first); returns the row count.

    The file holds personal data, even if made up, and is treated as such: written atomically, mode 0600,
    missing directories created with mode 0700 (:class:`common.private_files.PrivateFile`). Raises
    :class:`InputError` ``cohort.unwritable`` when the file cannot be written.
    """
    written = 0
    try:
        with PrivateFile(path) as output:
            writer = csv.DictWriter(output.handle, fieldnames=list(ALL_COLUMNS))
            writer.writeheader()
            for row in generate_cohort(count=count, seed=seed, session=session):
                writer.writerow(row)
                written += 1
    except OSError as exc:
        raise InputError(
            "cannot write the cohort file",
            code="cohort.unwritable",
            found=f"{path}: {exc.strerror or exc}",
            expected="a path in a directory this user can write to",
        ) from exc
    return written
