"""The incidents entries of the menus (`esafety.menu`)."""

from esafety.menu import action_entry, menu_entry, section_entry
from esafety.roles import Capability
from incidents.dashboard import HANDLING

# Those who handle incidents open the dashboard; every other member of staff the incidents they logged.
menu_entry("Incidents", "incidents:dashboard", needs=HANDLING, order=20, active_in=["incidents"])
menu_entry("Incidents", "incidents:my_reports", needs=[Capability.LOG_INCIDENT], order=20, active_in=["incidents"])
action_entry("Log an incident", "incidents:incident_log", needs=[Capability.LOG_INCIDENT], order=10, icon="bi-plus-circle")

section_entry("incidents", "Dashboard", "incidents:dashboard", needs=HANDLING, order=10)
section_entry("incidents", "All incidents", "incidents:incident_list", needs=HANDLING, order=20)
section_entry("incidents", "Incidents I logged", "incidents:my_reports", needs=[Capability.LOG_INCIDENT], order=30)
section_entry("incidents", "Set-up", "incidents:setup", needs=[Capability.SET_UP_INCIDENTS], order=40)
