"""The dashboard's Audiences page: audience managers (and admins) upload segments, start jobs
that tag them or set an attribute, follow the jobs, and look an account up in the mirror, all of
the app the header names (request.app). The same services as the API and Django admin do the
work."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.current_app import in_my_apps, mine
from core.errors import InvalidInput, TransitionRefused, Unavailable
from core.pages import form_errors
from core.payload_words import explain_words
from core.roles import is_admin, is_audience_manager, role_required
from core.text import words_list
from pushclient import TencentError
from pushclient.payload import MAX_ATTR_NAMES

from . import services
from .buckets import (accounts_without_bucket, bucket_job_active, bucket_sizes, bucket_tag,
                      buckets_assign, buckets_assign_words)
from .forms import AccountLookupForm, AttributeNameForm, AudienceJobForm, AudienceUploadForm
from .models import Job
from .selectors import (account_profile, attribute_names, job_progress, segment_stored_words,
                        segment_summaries, tag_sizes)

audience_manager_required = role_required(is_audience_manager)


def posted_from_the_page(view):
    """A form of the Audiences page posts here and, refused, is shown again at this address:
    reloading it (a GET) goes back to the page instead of a 405."""
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return redirect("audiences")
        return view(request, *args, **kwargs)
    return wrapper


def _free_attribute_index(names: dict[str, str]) -> str | None:
    return next((str(i) for i in range(MAX_ATTR_NAMES) if str(i) not in names), None)


def _page(request, *, upload=None, job_form=None, name_form=None, status=200):
    app = request.app
    lookup = AccountLookupForm(request.GET if "account" in request.GET else None)
    profile = account_profile(lookup.cleaned_data["account"].strip(), app=app) \
        if lookup.is_bound and lookup.is_valid() else None
    current = attribute_names(app)
    names = list(current.values())
    may_name = is_admin(request.user) and _free_attribute_index(current) is not None
    return render(request, "audience/audiences.html", {
        "name_form": (name_form or AttributeNameForm()) if may_name else None,
        "upload": upload or AudienceUploadForm(),
        "job_form": job_form or AudienceJobForm(
            app=app, attr_names=names, initial={"segment": request.GET.get("segment")}),
        "attr_names": names, "attr_names_words": words_list(names), "lookup": lookup,
        "profile": profile,
        "jobs": Job.objects.filter(app=app).select_related("segment", "created_by")[:20],
        "segments": segment_summaries(app=app), "tags": tag_sizes(app=app),
        "buckets": _buckets(app)}, status=status)


def _buckets(app) -> dict:
    """The "A/B buckets" section: each bucket's tag, known accounts and share of the bucketed
    ones, the accounts still without one, and the bucket job under way, if any."""
    sizes = bucket_sizes(app)
    bucketed = sum(sizes.values())
    return {"prefix": settings.EXPERIMENT_BUCKET_PREFIX, "count": len(sizes),
            "sizes": [{"tag": bucket_tag(n), "accounts": size,
                       "share": round(100 * size / bucketed, 1) if bucketed else 0}
                      for n, size in sizes.items()],
            "bucketed": bucketed, "without": accounts_without_bucket(app),
            "active": bucket_job_active(app)}


@audience_manager_required
def audiences(request):
    if request.method == "POST":  # the one form that posts to the page itself
        return _assign_buckets(request)
    return _page(request)


def _assign_buckets(request):
    """Assign buckets, as any job on this page is started (audience managers and admins): to
    the job's page once started; otherwise back to the section with the reason (nothing to
    assign, a bucket job under way, the queue down)."""
    back = f"{reverse('audiences')}#buckets"
    if "assign_buckets" not in request.POST:
        return redirect(back)
    try:
        job = buckets_assign(user=request.user, app=request.app)
    except (TransitionRefused, Unavailable) as exc:
        messages.warning(request, str(exc))
        return redirect(back)
    if job is None:
        messages.info(request, buckets_assign_words(None))
        return redirect(back)
    messages.success(request, buckets_assign_words(job))
    return redirect("audience-job", pk=job.pk)


@audience_manager_required  # first: without the role, 403 whatever the method
@posted_from_the_page
def segment_upload(request):
    form = AudienceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        column = data["column"].strip() or None
        try:
            segment = services.segment_from_form(
                user=request.user, name=data["name"], uploaded=data["accounts_file"],
                pasted=data["pasted"], column=column, app=request.app)
        except Unavailable as exc:
            form.add_error(None, str(exc))
        except InvalidInput as exc:
            form_errors(form, exc)
        else:
            messages.success(request, segment_stored_words(segment))
            return redirect(f"{reverse('audiences')}?segment={segment.pk}#start-job")
    return _page(request, upload=form)


@audience_manager_required  # first: without the role, 403 whatever the method
@posted_from_the_page
def job_start(request):
    form = AudienceJobForm(request.POST, app=request.app,
                           attr_names=list(attribute_names(request.app).values()))
    if form.is_valid():
        try:
            job = services.job_create(user=request.user, segment=form.cleaned_data["segment"],
                                      **form.job_input())
        except Unavailable as exc:
            form.add_error(None, str(exc))
        except InvalidInput as exc:
            form.add_service_errors(exc.errors)
        else:
            return redirect("audience-job", pk=job.pk)
    return _page(request, job_form=form)


@role_required(is_admin)  # first: without the role, 403 whatever the method
@posted_from_the_page
def attribute_name_add(request):
    """Name the next free attribute index (Tencent allows ten), as Django admin's page does."""
    form = AttributeNameForm(request.POST)
    index = _free_attribute_index(attribute_names(request.app))
    if form.is_valid() and index is None:
        form.add_error(None, _("The app already has its %(n)d attribute names; an admin renames "
                               "one on the admin site.") % {"n": MAX_ATTR_NAMES})
    elif form.is_valid():
        name = form.cleaned_data["name"].strip()
        try:
            services.attribute_names_update(user=request.user, names={index: name},
                                            app=request.app)
        except InvalidInput as exc:
            for problems in exc.errors.values():
                for problem in problems:
                    form.add_error("name", problem)
        except TencentError as exc:
            form.add_error(None, explain_words(exc.code, exc.info))
        else:
            messages.success(request, _("The app now has the attribute %(name)s: set it on a "
                                        "segment below.") % {"name": name})
            return redirect(f"{reverse('audiences')}#start-job")
    return _page(request, name_form=form, status=400)


@audience_manager_required
def job_detail(request, pk: int):
    job = in_my_apps(request, Job.objects.select_related("segment", "created_by", "app"), pk=pk)
    return render(request, "audience/job.html", {
        "job": job, "progress": job_progress(job),
        "bucket_range": f"{bucket_tag(0)} … {bucket_tag(settings.EXPERIMENT_BUCKETS - 1)}",
        "failures": job.failures.all()[:50]})


@audience_manager_required
def job_progress_json(request, pk: int):
    return JsonResponse(job_progress(mine(request, Job.objects, pk=pk)))


@require_POST
@audience_manager_required
def job_cancel(request, pk: int):
    job = in_my_apps(request, Job.objects.select_related("app"), pk=pk)
    if services.job_cancel(job=job, user=request.user):
        messages.success(request, _("The job is cancelled. Batches already sent stay done."))
    else:
        messages.warning(request, _("Nothing changed: the job is %(status)s.")
                         % {"status": job.get_status_display().lower()})
    return redirect("audience-job", pk=pk)
