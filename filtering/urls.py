from django.urls import path

from filtering import views

app_name = "filtering"

urlpatterns = [
    path("", views.request_list, name="request_list"),
]
