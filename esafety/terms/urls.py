from django.urls import path

# The home page's term-dates panel registers itself on import; the URLs are loaded before any page is shown.
from esafety.terms import views

app_name = "terms"

urlpatterns = [
    path("", views.term_dates_current, name="term_dates_current"),
    path("<int:start_year>/", views.term_dates, name="term_dates"),
    path("<int:start_year>/import/", views.term_dates_import, name="term_dates_import"),
    path("<int:start_year>/dates.csv", views.term_dates_csv, name="term_dates_csv"),
]
