from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import path
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from audience import views as audience_views
from audience.api import router as audience_api
from campaigns.views import approval, experiments, languages, library, local_time, series
from campaigns.views import campaign as views
from core import health
from core import views as core_views
from core.current_app import switch_app
from campaigns.api import router as campaigns_api
from core.security import AdminLoginForm, LoginForm
from core.api import api
from reports import views as report_views
from reports.api import router as reports_api
from core.apps_api import router as apps_api

admin.site.login_form = AdminLoginForm
admin.site.site_header = _("Push campaigns: administration")
admin.site.site_title = _("Push campaigns")
admin.site.index_title = _("Audience, people and records")
api.add_router("", campaigns_api)
api.add_router("", audience_api)
api.add_router("", reports_api)
api.add_router("", apps_api)

urlpatterns = [
    path("healthz", health.healthz),
    # Pages link the icon (templates/base.html); browsers still ask for /favicon.ico where no
    # page links it (a JSON answer, the API's docs), and logged a 404 each time.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("core/favicon.svg"))),
    path("login/", auth_views.LoginView.as_view(template_name="login.html",
                                                authentication_form=LoginForm,
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/preview/", views.campaign_preview, name="campaign-preview"),
    path("campaigns/capacity/", views.capacity, name="capacity"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("tencent/callback/", report_views.tencent_callback, name="tencent-callback"),
    path("campaigns/<int:pk>/report.csv", report_views.report_csv, name="campaign-report-csv"),
    path("campaigns/<int:pk>/trace/", report_views.trace, name="campaign-trace"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/test-send/", views.campaign_test_send, name="campaign-test-send"),
    path("campaigns/<int:pk>/recall/", views.campaign_recall, name="campaign-recall"),
    # Before the generic actions (campaign-action)
    path("campaigns/<int:pk>/save-template/", library.template_save, name="template-save"),
    path("templates/", library.template_list, name="template-list"),
    path("templates/<int:pk>/use/", library.template_use, name="template-use"),
    path("templates/<int:pk>/delete/", library.template_delete, name="template-delete"),
    path("templates/<int:pk>/copy/", library.template_copy, name="template-copy"),
    path("campaigns/<int:pk>/repeat/", series.series_create, name="series-create"),
    path("series/", series.series_list, name="series-list"),
    path("series/<int:pk>/", series.series_detail, name="series-detail"),
    path("series/<int:pk>/end/", series.series_end, name="series-end"),
    path("campaigns/<int:pk>/local-time/", local_time.local_time_split, name="local-time"),
    path("campaigns/<int:pk>/local-time/cost/", local_time.local_time_cost,
         name="local-time-cost"),
    path("campaigns/<int:pk>/local-time/cancel/", local_time.local_time_cancel,
         name="local-time-cancel"),
    path("campaigns/<int:pk>/ab-test/", experiments.experiment_setup, name="ab-test"),
    path("campaigns/<int:pk>/ab-test/cancel/", experiments.experiment_cancel,
         name="ab-test-cancel"),
    path("campaigns/<int:pk>/languages/", languages.languages_setup, name="languages"),
    path("campaigns/<int:pk>/languages/cancel/", languages.languages_cancel,
         name="languages-cancel"),
    path("campaigns/<int:pk>/submit/", approval.approval_submit, name="approval-submit"),
    path("campaigns/<int:pk>/approve/", approval.approval_approve, name="approval-approve"),
    path("campaigns/<int:pk>/send-back/", approval.approval_send_back,
         name="approval-send-back"),
    path("campaigns/<int:pk>/<slug:action>/", views.campaign_action, name="campaign-action"),
    path("test-groups/", views.test_groups, name="test-groups"),
    path("test-groups/<int:pk>/", views.test_group_edit, name="test-group-edit"),
    path("quota/limit/", views.quota_limit, name="quota-limit"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("tokens/", core_views.tokens, name="tokens"),
    path("audit/", core_views.audit, name="audit"),
    path("apps/", core_views.apps, name="apps"),
    path("app/switch/", switch_app, name="switch-app"),
    path("apps/<slug:slug>/", core_views.app_edit, name="app-edit"),
    path("preferences/", core_views.preferences, name="preferences"),
    path("audiences/", audience_views.audiences, name="audiences"),
    path("audiences/segments/", audience_views.segment_upload, name="audience-segment-upload"),
    path("audiences/jobs/", audience_views.job_start, name="audience-job-start"),
    path("audiences/attribute-names/", audience_views.attribute_name_add,
         name="audience-attribute-name"),
    path("audiences/jobs/<int:pk>/", audience_views.job_detail, name="audience-job"),
    path("audiences/jobs/<int:pk>/progress.json", audience_views.job_progress_json,
         name="audience-job-progress"),
    path("audiences/jobs/<int:pk>/cancel/", audience_views.job_cancel, name="audience-job-cancel"),
    # The script strings (locale/*/LC_MESSAGES/djangojs.po), for the editor and live pages.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["campaigns"]), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler404 = "core.api.not_found"
