from django.urls import path

from filtering.views import changes, feed, reports, requests, reviews

app_name = "filtering"

urlpatterns = [
    # Requests to open sites (filtering.views.requests)
    path("", requests.request_list, name="request_list"),
    path("requests.csv", requests.request_export, name="request_export"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/<uuid:request_id>/", requests.request_detail, name="request_detail"),
    path("requests/<uuid:request_id>/head/", requests.request_head_decide, name="request_head_decide"),
    path("requests/<uuid:request_id>/it/", requests.request_it_decide, name="request_it_decide"),
    path("requests/<uuid:request_id>/applied/", requests.request_apply, name="request_apply"),
    path("requests/<uuid:request_id>/withdraw/", requests.request_withdraw, name="request_withdraw"),
    path("requests/<uuid:request_id>/revoke/", requests.request_revoke, name="request_revoke"),
    path("requests/<uuid:request_id>/removed/", requests.request_confirm_removal, name="request_confirm_removal"),
    path("waiting/head/", requests.head_queue, name="head_queue"),
    path("waiting/it/", requests.it_queue, name="it_queue"),
    # The allowlist feed and the settings (filtering.views.feed)
    path("feed/", feed.feed_settings, name="feed_settings"),
    path("feed/rotate/", feed.feed_rotate, name="feed_rotate"),
    path("feed/<str:token>/<slug:group>.txt", feed.feed_text, name="feed_text"),
    path("feed/<str:token>/<slug:group>.json", feed.feed_json, name="feed_json"),
    path("settings/", feed.filtering_settings, name="settings"),
    # Unsuitable-site reports (filtering.views.reports)
    path("reports/", reports.report_list, name="report_list"),
    path("reports/new/", reports.report_new, name="report_new"),
    path("reports/<uuid:report_id>/", reports.report_detail, name="report_detail"),
    path("reports/<uuid:report_id>/decide/", reports.report_decide, name="report_decide"),
    path("reports/<uuid:report_id>/referral/", reports.report_referral, name="report_referral"),
    path("reports/<uuid:report_id>/escalate/", reports.report_escalate, name="report_escalate"),
    path("reports/<uuid:report_id>/blocked/", reports.report_blocked, name="report_blocked"),
    # The filter change log (filtering.views.changes)
    path("changes/", changes.change_list, name="change_list"),
    path("changes/new/", changes.change_new, name="change_new"),
    path("changes/<uuid:change_id>/", changes.change_detail, name="change_detail"),
    path("changes/<uuid:change_id>/agree/", changes.change_agree, name="change_agree"),
    # Reviews (filtering.views.reviews)
    path("reviews/", reviews.log_review_list, name="log_review_list"),
    path("reviews/new/", reviews.log_review_new, name="log_review_new"),
    path("reviews/<int:review_id>/", reviews.log_review_detail, name="log_review_detail"),
    path("yearly/", reviews.annual_review_list, name="annual_review_list"),
    path("yearly/new/", reviews.annual_review_new, name="annual_review_new"),
    path("yearly/<int:review_id>/", reviews.annual_review_detail, name="annual_review_detail"),
    path("yearly/<int:review_id>/sign/", reviews.annual_review_sign, name="annual_review_sign"),
    path("yearly/<int:review_id>/pdf/", reviews.annual_review_pdf, name="annual_review_pdf"),
]
