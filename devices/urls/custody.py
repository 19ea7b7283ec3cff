"""Confiscated devices (under /devices/confiscations/): the register, recording one, its page and its chain of custody."""

from django.urls import path

from devices.views import custody

urlpatterns: list = [
    path("", custody.confiscation_list, name="confiscation_list"),
    path("new/", custody.confiscation_new, name="confiscation_new"),
    path("<uuid:confiscation_id>/", custody.confiscation_detail, name="confiscation_detail"),
    path("<uuid:confiscation_id>/moved/", custody.confiscation_move, name="confiscation_move"),
    path("<uuid:confiscation_id>/searched/", custody.confiscation_search, name="confiscation_search"),
    path("<uuid:confiscation_id>/police/", custody.confiscation_to_police, name="confiscation_to_police"),
    path("<uuid:confiscation_id>/back-from-police/", custody.confiscation_back_from_police, name="confiscation_back_from_police"),
    path("<uuid:confiscation_id>/flag/", custody.confiscation_flag, name="confiscation_flag"),
    path("<uuid:confiscation_id>/lift-flag/", custody.confiscation_lift_flag, name="confiscation_lift_flag"),
    path("<uuid:confiscation_id>/returned/", custody.confiscation_return, name="confiscation_return"),
    path("<uuid:confiscation_id>/disposed/", custody.confiscation_dispose, name="confiscation_dispose"),
    path("<uuid:confiscation_id>/note/", custody.confiscation_note, name="confiscation_note"),
]
