from django.urls import path

from esafety.terms import views

app_name = "terms"

urlpatterns = [
    path("", views.term_dates_current, name="term_dates_current"),
    path("<int:start_year>/", views.term_dates, name="term_dates"),
    path("<int:start_year>/import/", views.term_dates_import, name="term_dates_import"),
    path("<int:start_year>/dates.csv", views.term_dates_csv, name="term_dates_csv"),
]
