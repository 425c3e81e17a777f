"""Django admin for operators: campaigns with their attempt ledger and audit trail, read-only."""

from django.contrib import admin

from .models import Attempt, Campaign


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
    list_display = ("name", "status", "send_at", "due_at", "sent_at", "created_by", "task_id")
    list_filter = ("status", "send_at", "allow_late")
    search_fields = ("name", "task_id")
    date_hierarchy = "send_at"
    list_select_related = ("created_by",)
    readonly_fields = ("status", "status_reason", "status_params", "due_at", "msg_random", "task_id", "sent_at",
                       "created_by", "created_at", "updated_at")
    inlines = [AttemptInline]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        # Edits go through the dashboard and API, where the payload rules and transitions apply.
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("campaign", "started_at", "outcome", "error_code", "quota_day",
                    "counts_quota", "task_id")
    list_filter = ("outcome", "quota_day", "counts_quota", "error_code")
    search_fields = ("campaign__name", "task_id")
    list_select_related = ("campaign",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
