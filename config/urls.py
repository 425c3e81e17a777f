from django.contrib import admin
from django.urls import path

from campaigns import api, views

urlpatterns = [
    path("healthz", views.healthz),
    path("admin/", admin.site.urls),
    path("api/token/", api.token),
    path("api/campaigns/", api.campaigns),
    path("api/campaigns/<int:pk>/", api.campaign),
    path("api/campaigns/<int:pk>/cancel/", api.campaign_cancel),
    path("api/campaigns/<int:pk>/schedule/", api.campaign_schedule),
    path("api/quota/", api.quota),
]
