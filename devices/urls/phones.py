"""The phone register (/devices/phones/): today's forms, a form's day, the phones not collected, the exceptions."""

from django.urls import path

from devices.views import phones

urlpatterns = [
    path("", phones.phone_forms, name="phone_forms"),
    path("<int:form_id>/", phones.phone_register, name="phone_register"),
    path("<int:form_id>/collect/", phones.phone_collect, name="phone_collect"),
    path("not-collected/", phones.phone_not_collected, name="phone_not_collected"),
    path("not-collected/<int:record_id>/collected/", phones.phone_mark_collected, name="phone_mark_collected"),
    path("exceptions/", phones.phone_exception_list, name="phone_exception_list"),
    path("exceptions/new/", phones.phone_exception_new, name="phone_exception_new"),
    path("exceptions/<int:exception_id>/", phones.phone_exception_detail, name="phone_exception_detail"),
    path("exceptions/<int:exception_id>/edit/", phones.phone_exception_edit, name="phone_exception_edit"),
    path("exceptions/<int:exception_id>/review/", phones.phone_exception_review, name="phone_exception_review"),
    path("exceptions/<int:exception_id>/end/", phones.phone_exception_end, name="phone_exception_end"),
]
