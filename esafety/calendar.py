"""
The English school calendar: academic years from 1 September, year groups and key stages.
A school's own terms, half-terms and closures are in `esafety.terms`.
"""

from datetime import date

from django.db import models


class KeyStage(models.TextChoices):
    EYFS = "EYFS", "Early years (EYFS)"
    KS1 = "KS1", "Key stage 1"
    KS2 = "KS2", "Key stage 2"
    KS3 = "KS3", "Key stage 3"
    KS4 = "KS4", "Key stage 4"
    KS5 = "KS5", "Key stage 5 (sixth form)"

    @classmethod
    def ncy_range(cls, key_stage: str) -> tuple[int, int]:
        """The first and last national curriculum year of a key stage."""
        return _KEY_STAGE_NCY[key_stage]


_KEY_STAGE_NCY = {
    KeyStage.EYFS: (-1, 0),
    KeyStage.KS1: (1, 2),
    KeyStage.KS2: (3, 6),
    KeyStage.KS3: (7, 9),
    KeyStage.KS4: (10, 11),
    KeyStage.KS5: (12, 13),
}


def key_stage_for_ncy(ncy: int) -> str:
    for stage, (low, high) in _KEY_STAGE_NCY.items():
        if low <= ncy <= high:
            return stage
    raise ValueError(f"No key stage for national curriculum year {ncy}.")


def ncy_label(ncy: int) -> str:
    if ncy == -1:
        return "Nursery"
    if ncy == 0:
        return "Reception"
    return f"Year {ncy}"


def parse_year_group(text: str) -> int | None:
    """The national curriculum year in an MIS 'Year' column: '7', 'Year 7', 'Y7', 'R', 'Reception', 'N'."""
    value = text.strip().lower().replace("year", "").replace("yr", "").strip()
    if value.startswith("y"):
        value = value[1:].strip()
    if value in ("r", "rec", "reception", "0"):
        return 0
    if value in ("n", "n1", "n2", "nursery", "-1"):
        return -1
    if value.isdigit() and 1 <= int(value) <= 13:
        return int(value)
    return None


def academic_year_start(day: date) -> int:
    """The calendar year in which the academic year containing `day` began (September)."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_label(day: date) -> str:
    start = academic_year_start(day)
    return f"{start}/{str(start + 1)[-2:]}"
