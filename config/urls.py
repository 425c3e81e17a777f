from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from audience import api as audience_api
from campaigns import api, health, openapi, views
from campaigns.security import AdminLoginForm, LoginForm

admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("healthz", health.healthz),
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
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/<slug:action>/", views.campaign_action, name="campaign-action"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("tokens/", views.tokens, name="tokens"),
    path("audit/", views.audit, name="audit"),
    path("preferences/", views.preferences, name="preferences"),
    path("admin/", admin.site.urls),
    path("api/openapi.json", openapi.openapi),
    path("api/token/", api.token),
    path("api/campaigns/", api.campaigns),
    path("api/campaigns/<int:pk>/", api.campaign),
    path("api/campaigns/<int:pk>/cancel/", api.campaign_cancel),
    path("api/campaigns/<int:pk>/schedule/", api.campaign_schedule),
    path("api/quota/", api.quota),
    path("api/attribute-names/", audience_api.attr_names),
    path("api/audience/jobs/", audience_api.jobs),
    path("api/audience/jobs/<int:pk>/", audience_api.job),
    path("api/audience/reach/", audience_api.reach),
]

handler404 = "campaigns.api.not_found"
