"""Admin pages for the audience: attribute names, one account, segment uploads with a preview,
a segment's accounts, jobs with live progress. Only the admin role reaches them. Each page is of
the app the dashboard's header names (request.app), said under its title; a segment or job of
another app, opened by its address, makes that app the current one."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import roles, tencent
from core.csv_export import csv_lines
from core.current_app import in_my_apps, mine
from core.errors import Unavailable
from core.payload_words import explain_words, violation_words, words_by_field
from core.text import items_from_text, whole_number
from pushclient import PayloadError, TencentError
from pushclient.payload import MAX_ATTR_NAMES, attr_names_violations

from . import services
from .forms import SegmentUploadForm
from .models import AttributeName, Job, KnownAccount, Segment
from .selectors import attribute_names, job_progress, segment_stored_words
from .services import AudienceInvalid, RenameNeedsConfirmation


class AdminRoleOnly:
    """Django admin plus the product's admin role, for every audience page."""

    def has_module_permission(self, request):
        return roles.is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return roles.is_admin(request.user)

    def has_add_permission(self, request):
        return roles.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def require_admin(request) -> None:
        """For the custom views, which Django's own permission checks do not cover."""
        if not roles.is_admin(request.user):
            raise PermissionDenied

    @staticmethod
    def app_context(request) -> dict:
        """Which app the page is of, under its title (admin/base.html's subtitle): worded when
        shown, after the page's object may have made its app the current one."""
        return {"subtitle": lazy(lambda: _("App: %(app)s") % {"app": request.app.label}, str)()}

    def get_queryset(self, request):
        return super().get_queryset(request).filter(app=request.app)

    def get_object(self, request, object_id, from_field=None):
        """Of any of the person's apps, that app made the current one (core.current_app)."""
        try:
            return in_my_apps(request, self.model.objects.select_related("app"),
                              pk=whole_number(str(object_id)) or 0)
        except Http404:
            return None

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**self.app_context(request),
                                                 **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {
            **self.app_context(request), **(extra_context or {})})


def csv_download(rows, filename: str) -> StreamingHttpResponse:
    """Stream rows as a CSV file, however many there are (cells made safe by core.csv_export)."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- attribute names and one account ---------------------------------------------------------

# A rule broken by one index ("AttrNames['4']") belongs to that index's field on the form.
INDEX_FIELD = re.compile(r"AttrNames\['(\d)'\]")


class AttributeNamesForm(forms.Form):
    confirm_rename = forms.BooleanField(
        required=False, label=gettext_lazy("I understand a rename changes the meaning of values "
                                           "already stored on users"))

    def __init__(self, *args, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(MAX_ATTR_NAMES):
            self.fields[str(i)] = forms.CharField(
                label=_("Index %(n)s") % {"n": i}, required=False,
                initial=current.get(str(i), ""))

    def clean(self):
        """Tencent's rules for names (pushclient's one check), on the index they are about."""
        data = super().clean()
        names = {str(i): (data.get(str(i)) or "").strip() for i in range(MAX_ATTR_NAMES)}
        self.add_service_errors(words_by_field(
            attr_names_violations({i: name for i, name in names.items() if name})))
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Errors on the index they are about (`AttrNames['4']` is field "4")."""
        for field, problems in errors.items():
            match = INDEX_FIELD.fullmatch(field)
            for problem in problems:
                self.add_error(match[1] if match and match[1] in self.fields else None, problem)


LOOKUP_OPERATIONS = {
    "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"),
    "set_attrs": gettext_lazy("Set an attribute (name=value)"),
    "remove_attrs": gettext_lazy("Remove attributes"),
    "remove_all_tags": gettext_lazy("Remove all tags"),
}
LOOKUP_DONE = {
    "add_tags": gettext_lazy("Added the tags %(values)s to %(account)s."),
    "remove_tags": gettext_lazy("Removed the tags %(values)s from %(account)s."),
    "set_attrs": gettext_lazy("Set %(values)s on %(account)s."),
    "remove_attrs": gettext_lazy("Removed the attributes %(values)s from %(account)s."),
    "remove_all_tags": gettext_lazy("Removed every tag from %(account)s."),
}


@admin.register(AttributeName)
class AttributeNameAdmin(AdminRoleOnly, admin.ModelAdmin):
    def get_urls(self):
        return [path("", self.admin_site.admin_view(self.edit_view),
                     name="audience_attributename_changelist"),
                path("lookup/", self.admin_site.admin_view(self.lookup_view),
                     name="audience_account_lookup")]

    def edit_view(self, request):
        self.require_admin(request)
        app = request.app
        current = attribute_names(app)
        form = AttributeNamesForm(request.POST or None, current=current)
        warning = None
        if request.method == "POST" and "read_back" in request.POST:
            try:
                services.attribute_names_pull(user=request.user, app=app)
                messages.success(request, _("Read the attribute names back from Tencent."))
            except TencentError as exc:
                messages.error(request, explain_words(exc.code, exc.info))
            return HttpResponseRedirect(request.path)
        if request.method == "POST" and form.is_valid():
            names = {str(i): form.cleaned_data[str(i)].strip() for i in range(MAX_ATTR_NAMES)
                     if form.cleaned_data[str(i)].strip() and
                     form.cleaned_data[str(i)].strip() != current.get(str(i))}
            try:
                if names:
                    services.attribute_names_update(
                        user=request.user, names=names, app=app,
                        confirm_rename=form.cleaned_data["confirm_rename"])
                messages.success(request, _("Attribute names saved on Tencent."))
                return HttpResponseRedirect(request.path)
            except RenameNeedsConfirmation as exc:
                warning = str(exc)
            except AudienceInvalid as exc:
                form.add_service_errors(exc.errors)
            except TencentError as exc:
                form.add_error(None, explain_words(exc.code, exc.info))
        return render(request, "admin/audience/attribute_names.html", {
            **self.admin_site.each_context(request), **self.app_context(request),
            "title": _("Attribute names"),
            "form": form, "warning": warning, "opts": self.model._meta})

    def lookup_view(self, request):
        """One account as Tencent holds it, with its tags and attributes editable. After an
        error the page keeps the account, the chosen operation and the values typed."""
        self.require_admin(request)
        account = (request.POST.get("account") or request.GET.get("account") or "").strip()
        op = request.POST.get("op") or request.GET.get("op") or "add_tags"
        op = op if op in LOOKUP_OPERATIONS else "add_tags"
        text = request.POST.get("values", "")
        client = tencent.client(request.app).members
        if request.method == "POST" and account:
            values = items_from_text(text)
            name, _sep, value = text.partition("=")
            attrs = {name.strip(): value.strip()} if op == "set_attrs" else None
            try:
                services.account_change(user=request.user, account=account, operation=op,
                                        values=values, attrs=attrs, app=request.app)
                messages.success(request, LOOKUP_DONE[op] % {"account": account,
                                                              "values": text.strip()})
                return HttpResponseRedirect(
                    f"{request.path}?{urlencode({'account': account, 'op': op})}")
            except PayloadError as exc:  # in words, on the field the person filled in
                messages.error(request, " ".join(violation_words(v) for v in exc.violations))
            except TencentError as exc:
                messages.error(request, explain_words(exc.code, exc.info))
        found = None
        if account:
            try:
                found = {"tags": client.get_tags([account]).values.get(account, []),
                         "attrs": client.get_attrs([account]).values.get(account, {})}
            except PayloadError as exc:
                messages.error(request, " ".join(violation_words(v) for v in exc.violations))
            except TencentError as exc:
                messages.error(request, explain_words(exc.code, exc.info))
        return render(request, "admin/audience/lookup.html", {
            **self.admin_site.each_context(request), **self.app_context(request),
            "title": _("Look up an account"), "account": account, "found": found,
            "attr_names": attribute_names(request.app).values(),
            "operations": LOOKUP_OPERATIONS.items(), "op": op,
            "values": text if request.method == "POST" else "", "opts": self.model._meta})


# --- segments --------------------------------------------------------------------------------

@admin.register(Segment)
class SegmentAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ("name", "app", "status", "size", "duplicates", "invalid_count",
                    "created_by", "created_at", "accounts_link")
    list_filter = ("app",)
    fields = ("name", "status", "size", "accounts_link", "lines_read", "duplicates",
              "invalid_count", "invalid_lines_text", "import_error", "column", "bytes_total",
              "bytes_read", "created_by", "created_at")
    readonly_fields = fields
    search_fields = ("name",)
    list_select_related = ("created_by",)

    @admin.display(description=gettext_lazy("Accounts in it"))
    def accounts_link(self, segment):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:audience_segment_accounts", args=[segment.pk]), _("View"),
            reverse("admin:audience_segment_accounts_csv", args=[segment.pk]),
            _("Download (CSV)"))

    @admin.display(description=gettext_lazy("First invalid lines"))
    def invalid_lines_text(self, segment):
        lines = [_("Line %(n)s: %(why)s") % {"n": n, "why": why}
                 for n, why in segment.invalid_lines_words()] or [_("none")]
        return format_html("<br>".join(["{}"] * len(lines)), *lines)

    @admin.display(description=gettext_lazy("Import error"))
    def import_error(self, segment):
        return " ".join(p for problems in segment.error_words().values() for p in problems) \
            or "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("preview/", view(self.preview_view), name="audience_segment_preview"),
                path("<int:pk>/accounts/", view(self.accounts_view),
                     name="audience_segment_accounts"),
                path("<int:pk>/accounts.csv", view(self.accounts_csv),
                     name="audience_segment_accounts_csv"),
                ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        self.require_admin(request)
        form = SegmentUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                column = data["column"].strip() or None
                segment = services.segment_from_form(
                    user=request.user, name=data["name"], uploaded=data["accounts_file"],
                    pasted=data["pasted"], column=column, app=request.app)
                messages.success(request, segment_stored_words(segment))
                return HttpResponseRedirect(
                    reverse("admin:audience_job_add") + f"?segment={segment.pk}")
            except Unavailable as exc:
                form.add_error(None, str(exc))
            except AudienceInvalid as exc:
                for field, problems in exc.errors.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
        return render(request, "admin/audience/upload.html", {
            **self.admin_site.each_context(request), **self.app_context(request),
            "title": _("Upload a segment"),
            "form": form, "opts": self.model._meta})

    def preview_view(self, request):
        """The first accounts an upload would store, read the way the import reads them; the
        page sends the start of the chosen file (or the pasted text). Nothing is stored."""
        self.require_admin(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:audience_segment_add"))
        head = request.FILES.get("head")
        data = head.read(services.PREVIEW_BYTES) if head else \
            request.POST.get("pasted", "").encode()[:services.PREVIEW_BYTES]
        complete = request.POST.get("complete") == "1" or head is None
        preview = services.segment_preview(head=data, complete=complete,
                                           column=request.POST.get("column", "").strip() or None)
        return render(request, "admin/audience/upload_preview.html", {"preview": preview})

    def _segment(self, request, pk: int) -> Segment:
        self.require_admin(request)
        return in_my_apps(request, Segment.objects.select_related("app"), pk=pk)

    def accounts_view(self, request, pk: int):
        segment = self._segment(request, pk)
        query = request.GET.get("q", "").strip()[:64].replace("\x00", "")
        accounts = segment.accounts.order_by("pk").values_list("account", flat=True)
        if query:
            accounts = accounts.filter(account__icontains=query)
        page = Paginator(accounts, 100).get_page(request.GET.get("page"))
        return render(request, "admin/audience/segment_accounts.html", {
            **self.admin_site.each_context(request), **self.app_context(request),
            "title": _("Accounts in %(segment)s") % {"segment": segment.name},
            "segment": segment, "page": page, "query": query, "opts": self.model._meta})

    def accounts_csv(self, request, pk: int):
        segment = self._segment(request, pk)
        rows = segment.accounts.order_by("pk").values_list("account").iterator(chunk_size=5000)
        return csv_download([("account",), *rows], f"segment-{segment.pk}-accounts.csv")


# --- jobs ------------------------------------------------------------------------------------

class JobForm(forms.Form):
    segment = forms.ModelChoiceField(label=gettext_lazy("Segment"),
                                     queryset=Segment.objects.none(),
                                     help_text=gettext_lazy("The accounts the job changes."))
    # Buckets go to the app's known accounts, not to a segment (the Audiences page, the API).
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=[
        choice for choice in Job.Action.choices if choice[0] != Job.Action.ASSIGN_BUCKETS])
    tags = forms.CharField(
        label=gettext_lazy("Tags"), required=False,
        help_text=gettext_lazy("For adding or removing tags: at most 10, separated by commas "
                               "(, ，、), semicolons or new lines."))
    attrs = forms.CharField(
        label=gettext_lazy("Attributes"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For setting attributes: name=value, one a line. For removing "
                               "them: one name a line. Names are the app's attribute names."))
    api = forms.ChoiceField(label=gettext_lazy("Tencent API"), choices=Job.Api.choices,
                            help_text=Job._meta.get_field("api").help_text)

    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(app=app)  # the app's only


@admin.register(Job)
class JobAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ("id", "app", "action", "segment", "status", "total", "done", "failed",
                    "created_at")
    list_filter = ("app", "status", "action")
    list_select_related = ("segment",)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/progress.json", view(self.progress_json),
                     name="audience_job_progress"),
                path("<int:pk>/failures.csv", view(self.failures_csv),
                     name="audience_job_failures"),
                path("<int:pk>/cancel/", view(self.control), {"op": "cancel"},
                     name="audience_job_cancel"),
                path("<int:pk>/resume/", view(self.control), {"op": "resume"},
                     name="audience_job_resume"),
                ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        self.require_admin(request)
        form = JobForm(request.POST or None, app=request.app,
                       initial={"segment": request.GET.get("segment")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            # Attribute names to remove are a list people type, read like every other; a value
            # to set may hold a comma, so name=value pairs are one a line. A line that is not
            # name=value is never dropped: the lines meet the rule the API's attrs meet when
            # they are not {name: value}.
            lines = [ln.strip() for ln in data["attrs"].splitlines() if ln.strip()]
            attrs = items_from_text(data["attrs"])
            if data["action"] == Job.Action.SET_ATTRS:
                attrs = dict(ln.split("=", 1) for ln in lines) if all(
                    "=" in ln for ln in lines) else lines
            try:
                job = services.job_create(
                    user=request.user, action=data["action"], segment=data["segment"],
                    tags=items_from_text(data["tags"]),
                    attrs=attrs, api=data["api"])
                return HttpResponseRedirect(reverse("admin:audience_job_change", args=[job.pk]))
            except Unavailable as exc:
                form.add_error(None, str(exc))
            except AudienceInvalid as exc:
                for field, problems in exc.errors.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
        return render(request, "admin/audience/job_form.html", {
            **self.admin_site.each_context(request), **self.app_context(request),
            "title": _("Start a job"), "form": form, "opts": self.model._meta})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.require_admin(request)
        job = in_my_apps(request, Job.objects.select_related("segment", "app"),
                         pk=whole_number(str(object_id)) or 0)
        attrs = [(name, value) for name, value in job.attrs.items()]
        return render(request, "admin/audience/job_progress.html", {
            **self.admin_site.each_context(request), **self.app_context(request),
            "title": str(job), "job": job,
            "progress": job_progress(job), "attrs": attrs,
            "api_help": Job._meta.get_field("api").help_text,
            "failures": job.failures.all()[:50], "opts": self.model._meta})

    def progress_json(self, request, pk: int):
        self.require_admin(request)
        return JsonResponse(job_progress(mine(request, Job.objects, pk=pk)))

    def failures_csv(self, request, pk: int):
        self.require_admin(request)
        job = mine(request, Job.objects, pk=pk)
        rows = ((account, code, explain_words(code, info)) for account, code, info in
                job.failures.values_list("account", "code", "info").iterator(chunk_size=2000))
        return csv_download([("account", "code", "reason"), *rows],
                            f"job-{job.pk}-failures.csv")

    def control(self, request, pk: int, op: str):
        """Cancel a queued or running job, resume a cancelled one; anything else says why not."""
        self.require_admin(request)
        job = in_my_apps(request, Job.objects.select_related("app"), pk=pk)
        if request.method == "POST":
            try:
                if op == "cancel" and services.job_cancel(job=job, user=request.user):
                    messages.success(request, _("The job is cancelled. Batches already sent "
                                                "stay done; Resume goes on with the rest."))
                elif op == "resume" and services.job_resume(job=job, user=request.user):
                    messages.success(request, _("The job goes on where it stopped."))
                else:
                    job.refresh_from_db()
                    messages.warning(request, _("Nothing changed: the job is %(status)s.")
                                     % {"status": job.get_status_display().lower()})
            except Unavailable as exc:
                messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("admin:audience_job_change", args=[pk]))


@admin.register(KnownAccount)
class KnownAccountAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ("account",)
    search_fields = ("account",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

