"""Django admin for operators: campaigns with their attempt ledger and audit trail, read-only;
the workspace's quiet hours."""

import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from core.zones import zone_name

from .models import Attempt, Campaign, Workspace


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = ("started_at", "finished_at", "outcome", "error_code", "error_info", "task_id",
              "msg_random", "quota_day", "counts_quota")
    readonly_fields = fields


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "app", "status", "send_at", "due_at", "sent_at", "created_by",
                    "task_id")
    list_filter = ("app", "status", "send_at", "allow_late")
    search_fields = ("name", "task_id")
    date_hierarchy = "send_at"
    list_select_related = ("created_by",)
    fields = ("name", "status", "reason", "send_at", "zone", "allow_late", "push_json", "due_at",
              "msg_random", "task_id", "sent_at", "created_by", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Why"))
    def reason(self, campaign):
        return campaign.status_reason_text or "—"

    @admin.display(description=gettext_lazy("time zone"))
    def zone(self, campaign):
        return zone_name(campaign.timezone)

    @admin.display(description=gettext_lazy("Request to Tencent"))
    def push_json(self, campaign):
        return format_html('<pre class="json"><code>{}</code></pre>',
                           json.dumps(campaign.push, ensure_ascii=False, indent=2))
    inlines = [AttemptInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        # Campaigns are written in the dashboard and the API, where their rules apply.
        return False

    def has_change_permission(self, request, obj=None):
        # Edits go through the dashboard and API, where the payload rules and transitions apply.
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("campaign", "started_at", "outcome", "error_code", "quota_day",
                    "counts_quota", "task_id")
    list_filter = ("campaign__app", "outcome", "quota_day", "counts_quota", "error_code")
    search_fields = ("campaign__name", "task_id")
    list_select_related = ("campaign",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


QUIET_START = gettext_lazy("Quiet hours start")
QUIET_END = gettext_lazy("Quiet hours end")


class WorkspaceForm(forms.ModelForm):
    # The labels live here, not on the model, whose fields carry no words of their own.
    class Meta:
        model = Workspace
        fields = ("quiet_start", "quiet_end")
        labels = {"quiet_start": QUIET_START, "quiet_end": QUIET_END}
        help_texts = {
            "quiet_start": gettext_lazy("Local time in each campaign's own time zone, e.g. "
                                        "22:00. Leave both empty for no quiet hours."),
            "quiet_end": gettext_lazy("e.g. 08:00; quiet hours may run past midnight.")}


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    """Quiet hours (e.g. 22:00–08:00): campaigns landing in them are refused or moved."""

    form = WorkspaceForm
    list_display = ("__str__", "starts", "ends")

    @admin.display(description=QUIET_START)
    def starts(self, workspace):
        return workspace.quiet_start or "—"

    @admin.display(description=QUIET_END)
    def ends(self, workspace):
        return workspace.quiet_end or "—"

    def has_add_permission(self, request):
        return not Workspace.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
