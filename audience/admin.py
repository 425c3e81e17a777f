"""Admin pages for the audience: attribute names, one account, segment uploads, jobs with live
progress. Only the admin role reaches them."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone

from core import roles, tencent
from core.audit import audit_record
from pushclient import PayloadError, TencentError, explain
from pushclient.payload import MAX_ATTR_NAMES

from . import services
from .mirror import mirror_apply
from .models import AttributeName, Job, KnownAccount, Segment
from .selectors import attribute_names
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


class AttributeNamesForm(forms.Form):
    confirm_rename = forms.BooleanField(required=False, label="I understand a rename changes "
                                        "the meaning of values already stored on users")

    def __init__(self, *args, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(MAX_ATTR_NAMES):
            self.fields[str(i)] = forms.CharField(label=f"Index {i}", required=False,
                                                  initial=current.get(str(i), ""))


@admin.register(AttributeName)
class AttributeNameAdmin(AdminRoleOnly, admin.ModelAdmin):
    def get_urls(self):
        return [path("", self.admin_site.admin_view(self.edit_view),
                     name="audience_attributename_changelist"),
                path("lookup/", self.admin_site.admin_view(self.lookup_view),
                     name="audience_account_lookup")]

    def edit_view(self, request):
        self.require_admin(request)
        current = attribute_names()
        form = AttributeNamesForm(request.POST or None, current=current)
        warning = None
        if request.method == "POST" and "read_back" in request.POST:
            try:
                services.attribute_names_pull(user=request.user)
                messages.success(request, "Read the attribute names back from Tencent.")
            except TencentError as exc:
                messages.error(request, explain(exc.code, exc.info))
            return HttpResponseRedirect(request.path)
        if request.method == "POST" and form.is_valid():
            names = {str(i): form.cleaned_data[str(i)].strip() for i in range(MAX_ATTR_NAMES)
                     if form.cleaned_data[str(i)].strip() and
                     form.cleaned_data[str(i)].strip() != current.get(str(i))}
            try:
                if names:
                    services.attribute_names_update(
                        user=request.user, names=names,
                        confirm_rename=form.cleaned_data["confirm_rename"])
                messages.success(request, "Attribute names saved on Tencent.")
                return HttpResponseRedirect(request.path)
            except RenameNeedsConfirmation as exc:
                warning = str(exc)
            except AudienceInvalid as exc:
                form.add_error(None, str(exc))
            except TencentError as exc:
                form.add_error(None, explain(exc.code, exc.info))
        return render(request, "admin/audience/attribute_names.html", {
            **self.admin_site.each_context(request), "title": "Attribute names", "form": form,
            "warning": warning, "opts": self.model._meta})

    def lookup_view(self, request):
        """One account as Tencent holds it, with its tags and attributes editable."""
        self.require_admin(request)
        account = (request.POST.get("account") or request.GET.get("account") or "").strip()
        client = tencent.client().members
        if request.method == "POST" and account:
            op = request.POST.get("op")
            text = request.POST.get("values", "")
            values = [v.strip() for v in text.split(",") if v.strip()]
            name, _, value = text.partition("=")
            attrs = {name.strip(): value.strip()} if op == "set_attrs" else dict.fromkeys(values)
            try:
                if op == "add_tags":
                    client.add_tags({account: values})
                elif op == "remove_tags":
                    client.remove_tags({account: values})
                elif op == "remove_all_tags":
                    client.remove_all_tags([account])
                elif op == "set_attrs":
                    client.set_attrs({account: attrs}, attr_names=attribute_names().values())
                elif op == "remove_attrs":
                    client.remove_attrs({account: values})
                else:
                    raise PermissionDenied
                mirror_apply(action=op, accounts=[account], tags=values, attrs=attrs)
                audit_record(actor=request.user, verb="account.changed", subject_type="account",
                             account=account, operation=op,
                             values=request.POST.get("values", ""))
                messages.success(request, "Done.")
            except PayloadError as exc:
                messages.error(request, str(exc))
            except TencentError as exc:
                messages.error(request, explain(exc.code, exc.info))
            return HttpResponseRedirect(f"{request.path}?account={account}")
        found = None
        if account:
            try:
                found = {"tags": client.get_tags([account]).values.get(account, []),
                         "attrs": client.get_attrs([account]).values.get(account, {})}
            except PayloadError as exc:
                messages.error(request, str(exc))
            except TencentError as exc:
                messages.error(request, explain(exc.code, exc.info))
        return render(request, "admin/audience/lookup.html", {
            **self.admin_site.each_context(request), "title": "Look up an account",
            "account": account, "found": found, "attr_names": attribute_names().values(),
            "opts": self.model._meta})


class SegmentUploadForm(forms.Form):
    name = forms.CharField(max_length=200)
    accounts_file = forms.FileField(required=False, help_text="One account per line, or CSV")
    column = forms.CharField(required=False, help_text="For a CSV: the column's name or number")
    pasted = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}),
                             label="Or paste accounts")


@admin.register(Segment)
class SegmentAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ("name", "status", "size", "duplicates", "invalid_count", "created_by",
                    "created_at")
    readonly_fields = ("name", "status", "bytes_read", "bytes_total", "error", "size",
                       "lines_read", "duplicates", "invalid_count", "invalid_lines", "created_by",
                       "created_at")
    search_fields = ("name",)

    def add_view(self, request, form_url="", extra_context=None):
        self.require_admin(request)
        form = SegmentUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                column = data["column"] or None
                segment = services.segment_upload(
                    user=request.user, name=data["name"], uploaded=data["accounts_file"],
                    column=column) if data["accounts_file"] else services.segment_import(
                    user=request.user, name=data["name"],
                    lines=services.pasted_lines(data["pasted"]), column=column)
                if segment.status == Segment.Status.IMPORTING:
                    messages.success(request, "The file is stored and a worker is importing it "
                                     "(progress on the segment's page); a job started now "
                                     "begins when the import is done.")
                else:
                    messages.success(request, f"{segment.size:,} accounts stored; "
                                     f"{segment.duplicates:,} duplicates and "
                                     f"{segment.invalid_count:,} invalid lines dropped.")
                return HttpResponseRedirect(
                    reverse("admin:audience_job_add") + f"?segment={segment.pk}")
            except AudienceInvalid as exc:
                form.add_error(None, str(exc))
        return render(request, "admin/audience/upload.html", {
            **self.admin_site.each_context(request), "title": "Upload a segment", "form": form,
            "opts": self.model._meta})


class JobForm(forms.Form):
    segment = forms.ModelChoiceField(queryset=Segment.objects.all())
    action = forms.ChoiceField(choices=Job.Action.choices)
    tags = forms.CharField(required=False, help_text="Comma-separated, at most 10")
    attrs = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="name=value per line to set; names per line to remove")
    api = forms.ChoiceField(choices=[("all_member_push", "all_member_push"),
                                     ("timpush", "timpush")])


@admin.register(Job)
class JobAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ("pk", "action", "segment", "status", "total", "done", "failed", "created_at")
    list_filter = ("status", "action")
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
        form = JobForm(request.POST or None, initial={"segment": request.GET.get("segment")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            lines = [ln.strip() for ln in data["attrs"].splitlines() if ln.strip()]
            attrs = dict(ln.split("=", 1) for ln in lines if "=" in ln) \
                if data["action"] == Job.Action.SET_ATTRS else lines
            try:
                job = services.job_create(
                    user=request.user, action=data["action"], segment=data["segment"],
                    tags=[t.strip() for t in data["tags"].split(",") if t.strip()],
                    attrs=attrs, api=data["api"])
                return HttpResponseRedirect(reverse("admin:audience_job_change", args=[job.pk]))
            except AudienceInvalid as exc:
                form.add_error(None, str(exc))
        return render(request, "admin/audience/job_form.html", {
            **self.admin_site.each_context(request), "title": "Start a job", "form": form,
            "opts": self.model._meta})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.require_admin(request)
        job = get_object_or_404(Job.objects.select_related("segment"), pk=object_id)
        return render(request, "admin/audience/job_progress.html", {
            **self.admin_site.each_context(request), "title": str(job), "job": job,
            "failures": job.failures.all()[:50], "opts": self.model._meta})

    def progress_json(self, request, pk: int):
        self.require_admin(request)
        job = get_object_or_404(Job, pk=pk)
        elapsed = ((job.finished_at or timezone.now()) - job.started_at).total_seconds() \
            if job.started_at else 0
        rate = (job.done + job.failed) / elapsed if elapsed > 0 else 0
        left = job.total - job.done - job.failed
        return JsonResponse({"status": job.status, "total": job.total, "done": job.done,
                             "failed": job.failed, "rate": round(rate),
                             "seconds_left": round(left / rate) if rate and left else 0})

    def failures_csv(self, request, pk: int):
        self.require_admin(request)
        job = get_object_or_404(Job, pk=pk)

        class Echo:
            def write(self, value):
                return value
        writer = csv.writer(Echo())
        rows = job.failures.values_list("account", "code", "reason").iterator(chunk_size=2000)
        response = StreamingHttpResponse(
            (writer.writerow(r) for r in [("account", "code", "reason"), *rows]),
            content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-failures.csv"'
        return response

    def control(self, request, pk: int, op: str):
        self.require_admin(request)
        job = get_object_or_404(Job, pk=pk)
        if request.method == "POST" and op == "cancel":
            services.job_cancel(job=job, user=request.user)
        elif request.method == "POST" and op == "resume":
            services.job_resume(job=job, user=request.user)
        return HttpResponseRedirect(reverse("admin:audience_job_change", args=[pk]))


@admin.register(KnownAccount)
class KnownAccountAdmin(AdminRoleOnly, admin.ModelAdmin):
    search_fields = ("account",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
