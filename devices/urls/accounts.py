from django.urls import path

from devices.views import accounts

urlpatterns: list = [
    path("", accounts.account_list, name="account_list"),
    path("export/", accounts.account_export, name="account_export"),
    path("new/", accounts.account_new, name="account_new"),
    path("<int:account_id>/", accounts.account_detail, name="account_detail"),
    path("<int:account_id>/edit/", accounts.account_edit, name="account_edit"),
    path("<int:account_id>/end/", accounts.account_end, name="account_end"),
    path("reviews/", accounts.access_review_list, name="access_review_list"),
    path("reviews/new/", accounts.access_review_new, name="access_review_new"),
    path("reviews/<int:review_id>/", accounts.access_review_detail, name="access_review_detail"),
]
