"""The audience admin pages: only admins, and each does what it says against the emulator."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audience import jobs
from audience.models import AccountTag, AttributeName, Job, Segment
from core.models import AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["/admin/audience/attributename/", "/admin/audience/attributename/lookup/",
         "/admin/audience/segment/add/", "/admin/audience/job/add/", "/admin/audience/job/"]


@pytest.mark.parametrize("url", PAGES)
def test_only_admins_reach_audience_pages(client, url, tim):
    client.force_login(make_user("mia", "Marketers"))
    assert client.get(url).status_code == 302, "marketers are sent to the admin login"
    client.force_login(make_user("staffer", is_staff=True))
    assert client.get(url).status_code in (403, 302)
    client.force_login(make_user("ada", "Admins", is_staff=True))
    assert client.get(url).status_code == 200


def test_admins_name_attributes_and_are_warned_before_a_rename(client, admin_user, tim,
                                                              tim_client):
    client.force_login(admin_user)
    client.post("/admin/audience/attributename/", {"0": "sex", "1": "city"})
    assert tim_client.members.get_attr_names() == {"0": "sex", "1": "city"}
    page = client.post("/admin/audience/attributename/", {"0": "sex", "1": "region"})
    assert "Renaming index 1 from &#x27;city&#x27; to &#x27;region&#x27;" in page.content.decode()
    assert AttributeName.objects.get(index=1).name == "city"
    client.post("/admin/audience/attributename/", {"0": "sex", "1": "region",
                                                   "confirm_rename": "on"})
    assert tim_client.members.get_attr_names()["1"] == "region"


def test_admins_look_up_and_change_one_account(client, admin_user, tim, tim_client):
    client.force_login(admin_user)
    tim_client.members.add_tags({"mary": ["vip"]})
    page = client.get("/admin/audience/attributename/lookup/?account=mary").content.decode()
    assert 'data-testid="tags">vip<' in page
    client.post("/admin/audience/attributename/lookup/", {"account": "mary", "op": "add_tags",
                                                          "values": "sz, new"})
    assert sorted(tim_client.members.get_tags(["mary"]).values["mary"]) == ["new", "sz", "vip"]
    client.post("/admin/audience/attributename/lookup/", {"account": "mary",
                                                          "op": "remove_all_tags"})
    assert tim_client.members.get_tags(["mary"]).values["mary"] == []


def test_an_account_change_keeps_the_mirror_and_the_trail_only_once_tencent_took_it(
        client, admin_user, tim):
    client.force_login(admin_user)
    tim.post("faults", {"script": ["502"] * 10})
    client.post("/admin/audience/attributename/lookup/", {"account": "mary", "op": "add_tags",
                                                          "values": "vip"})
    assert not AccountTag.objects.exists()
    assert not AuditEvent.objects.filter(verb="account.changed").exists()
    tim.post("faults", {"script": []})
    client.post("/admin/audience/attributename/lookup/", {"account": "mary", "op": "add_tags",
                                                          "values": "vip, sz"})
    assert sorted(AccountTag.objects.values_list("tag", flat=True)) == ["sz", "vip"]
    [event] = AuditEvent.objects.filter(verb="account.changed")
    assert (event.actor, event.params) == (admin_user, {
        "account": "mary", "operation": "add_tags", "values": "vip, sz", "app": "main"})


def test_an_upload_becomes_a_job_with_progress_and_a_failure_file(client, admin_user, tim):
    client.force_login(admin_user)
    tim.post("accounts", {"accounts": ["a1", "a2"]})
    answer = client.post("/admin/audience/segment/add/", {
        "name": "spring", "accounts_file": SimpleUploadedFile("s.txt", b"a1\na2\nghost\na1\n")})
    segment = Segment.objects.get()
    assert answer.url == f"/admin/audience/job/add/?segment={segment.pk}"
    answer = client.post("/admin/audience/job/add/", {"segment": segment.pk,
                                                      "action": "add_tags", "tags": "spring",
                                                      "api": "timpush"})
    job = Job.objects.get()
    assert answer.url == f"/admin/audience/job/{job.pk}/change/"
    assert "spring" in client.get(answer.url).content.decode()
    client.post(f"/admin/audience/job/{job.pk}/cancel/")
    assert Job.objects.get().status == "cancelled"
    client.post(f"/admin/audience/job/{job.pk}/resume/")
    assert Job.objects.get().status == "queued"
    jobs.job_run(job.pk)
    progress = client.get(f"/admin/audience/job/{job.pk}/progress.json").json()
    assert {k: progress[k] for k in ("status", "total", "done", "failed")} == {
        "status": "done", "total": 3, "done": 2, "failed": 1}
    failures = b"".join(client.get(f"/admin/audience/job/{job.pk}/failures.csv").streaming_content)
    assert failures.decode().splitlines() == [
        "account,code,reason", "ghost,70107," + "No such account: it never logged in to the app and was never imported."]


def test_a_job_form_refuses_bad_input_naming_the_rule(client, admin_user, tim):
    client.force_login(admin_user)
    client.post("/admin/audience/segment/add/", {"name": "s", "pasted": "a\nb"})
    page = client.post("/admin/audience/job/add/", {
        "segment": Segment.objects.get().pk, "action": "add_tags", "api": "all_member_push",
        "tags": ",".join(f"t{i}" for i in range(11))})
    assert "Tags: 11 given, at most 10." in page.content.decode()
    assert not Job.objects.exists()


def test_admins_manage_users_and_marketers_cannot(client, tim):
    from django.contrib.auth.models import Group
    admin = make_user("ada", "Admins", is_staff=True)
    admins = Group.objects.get(name="Admins")
    if not admins.permissions.exists():  # transactional tests flush the migration's grants
        import importlib

        from django.apps import apps
        importlib.import_module("campaigns.migrations.0004_admins_manage_users").grant(apps, None)
    client.force_login(admin)
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/auth/user/add/").status_code == 200
    client.force_login(make_user("mia", "Marketers"))
    assert client.get("/admin/auth/user/").status_code == 302


def test_a_job_page_for_an_id_in_digits_that_are_not_ascii_is_not_found(client, admin_user):
    """"²".isdigit() is true, yet "²" is no primary key: a 404, not a 500."""
    client.force_login(admin_user)
    assert client.get("/admin/audience/job/²/change/").status_code == 404
