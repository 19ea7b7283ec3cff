"""
The policies and training pages, one module of paths per area; they share the `policies` namespace
(`policies:policy_list`, `policies:training_list`).
"""

from django.urls import include, path

app_name = "policies"

urlpatterns = [
    path("", include("policies.urls.policies")),
    path("training/", include("policies.urls.training")),
]
