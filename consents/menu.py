"""The consents entries of the menus (`esafety.menu`)."""

from esafety.menu import menu_entry, section_entry
from esafety.roles import Capability

C = Capability
# Pages of the Consents section proper (the photo check and coverage have entries of their own).
SECTION = [
    "consents:round",
    "consents:return",
    "consents:slip",
    "consents:consent_type",
    "consents:consent_settings",
    "consents:staff_agreement_list",
    "consents:answer",
    "consents:pupil_consents",
]

menu_entry("Photo check", "consents:photo_check", needs=[C.CHECK_CONSENT], order=40)
# The office works on collection rounds; those who only set consents up start at the consent types.
menu_entry("Consents", "consents:round_list", needs=[C.RECORD_CONSENT], order=50, active_in=SECTION)
menu_entry("Consents", "consents:consent_type_list", needs=[C.SET_UP_CONSENT], order=50, active_in=SECTION)
menu_entry("Consent coverage", "consents:coverage", needs=[C.VIEW_CONSENT_COVERAGE], order=55)

section_entry("consents", "Collection rounds", "consents:round_list", needs=[C.RECORD_CONSENT], order=10)
section_entry("consents", "Record returned slips", "consents:return_entry", needs=[C.RECORD_CONSENT], order=20)
section_entry("consents", "Consent types", "consents:consent_type_list", needs=[C.SET_UP_CONSENT], order=30)
section_entry("consents", "Renewal and retention", "consents:consent_settings", needs=[C.SET_UP_CONSENT], order=40)
section_entry("consents", "Staff agreement", "consents:staff_agreement_list", needs=[C.VIEW_CONSENT_COVERAGE], order=50)
