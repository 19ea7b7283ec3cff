"""The policies paths of the `policies` namespace: the register, versions, and the policies a member of staff reads."""

from django.urls import path

from policies.views import policies

urlpatterns = [
    path("", policies.policy_list, name="policy_list"),
    path("new/", policies.policy_new, name="policy_new"),
    path("<int:policy_id>/", policies.policy_detail, name="policy_detail"),
    path("<int:policy_id>/edit/", policies.policy_edit, name="policy_edit"),
    path("<int:policy_id>/retire/", policies.policy_retire, name="policy_retire"),
    path("<int:policy_id>/versions/new/", policies.version_new, name="version_new"),
    path("versions/<int:version_id>/", policies.version_detail, name="version_detail"),
    path("versions/<int:version_id>/document/", policies.version_document, name="version_document"),
    path("versions/<int:version_id>/approve/", policies.version_approve, name="version_approve"),
    path("versions/<int:version_id>/discard/", policies.version_discard, name="version_discard"),
    path("versions/<int:version_id>/acknowledgements/", policies.version_acknowledgements, name="version_acknowledgements"),
    path("to-read/", policies.policies_to_read, name="policies_to_read"),
    path("to-read/<int:version_id>/acknowledge/", policies.policy_acknowledge, name="policy_acknowledge"),
]
