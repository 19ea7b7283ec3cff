"""The policies and training entries of the menus (`esafety.menu`)."""

from esafety.menu import menu_entry, section_entry
from esafety.roles import Capability

C = Capability

menu_entry("Policies", "policies:policy_list", needs=[C.READ_POLICIES], order=75, active_in=["policies"])

section_entry("policies", "Policies", "policies:policy_list", needs=[C.READ_POLICIES], order=10)
section_entry("policies", "To read", "policies:policies_to_read", needs=[C.READ_POLICIES], order=20)
section_entry("policies", "Training", "policies:training_list", needs=[C.MANAGE_TRAINING], order=50)
section_entry("policies", "My training", "policies:my_training", needs=[C.VIEW_OWN_TRAINING], order=55)
section_entry("policies", "Settings", "policies:settings", needs=[C.MANAGE_POLICIES, C.MANAGE_TRAINING], order=90)
