"""Lists people type, over HTTP: a Chinese keyboard's commas ("，" and "、"), semicolons and new
lines separate tags and accounts as "," does, in the editor, a bulk job (admin page and upload
API), a test group, a test send and the account look-up.

Otherwise "vip，深圳、new" is one tag nobody has, and the campaign silently reaches no one."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audience import services as audience_services
from audience.models import Job
from campaigns import services
from campaigns.models import Campaign, TestGroup
from tests.audience.test_api import api_client
from tests.campaigns.test_pages import editor_post
from tests.campaigns.test_test_sends import OFFLINE
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db(transaction=True)

CHINESE = "vip，深圳、new"
THREE = ["vip", "深圳", "new"]


@pytest.mark.parametrize("typed", [
    CHINESE, "vip, 深圳, new", "vip；深圳;new", "vip\n深圳\r\nnew", " vip ，，深圳 、 new、\n"])
def test_the_editor_reads_three_tags_whatever_separates_them(client, marketer, typed):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(tags_all=typed, tags_any=""))
    campaign = Campaign.objects.get()
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert campaign.push["Condition"] == {"TagsAnd": THREE}
    page = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'value="vip, 深圳, new"' in page


def test_the_editor_counts_chinese_separated_tags_against_the_limit(client, marketer):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/",
                         editor_post(tags_any="、".join(f"t{i}" for i in range(11))))
    assert "Any of these tags: 11 given, at most 10." in answer.content.decode()
    assert not Campaign.objects.exists()


def test_the_editor_says_how_tags_are_separated_in_both_languages(client, marketer):
    client.force_login(marketer)
    page = client.get("/campaigns/new/").content.decode()
    assert "At most 10, separated by commas (, ，、), semicolons or new lines" in page
    page = client.get("/campaigns/new/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "最多 10 个，用逗号（, ，、）、分号或换行分隔" in page


def test_a_bulk_job_from_the_admin_page_takes_three_tags(client, admin_user, tim):
    segment = audience_services.segment_import(user=admin_user, name="spring", lines=["a1"])
    client.force_login(admin_user)
    answer = client.post("/admin/audience/job/add/", {
        "segment": segment.pk, "action": "add_tags", "tags": CHINESE, "attrs": "",
        "api": "all_member_push"})
    job = Job.objects.get()
    assert answer.url == f"/admin/audience/job/{job.pk}/change/"
    assert job.tags == THREE


def test_a_bulk_job_from_the_admin_page_removes_three_typed_attribute_names(client, admin_user,
                                                                          tim, tim_client):
    tim_client.members.set_attr_names({"0": "vip", "1": "深圳", "2": "new"})
    audience_services.attribute_names_pull(user=admin_user)
    segment = audience_services.segment_import(user=admin_user, name="spring", lines=["a1"])
    client.force_login(admin_user)
    answer = client.post("/admin/audience/job/add/", {
        "segment": segment.pk, "action": "remove_attrs", "tags": "", "attrs": CHINESE,
        "api": "all_member_push"})
    job = Job.objects.get()
    assert answer.url == f"/admin/audience/job/{job.pk}/change/"
    assert sorted(job.attrs) == sorted(THREE)


@pytest.mark.parametrize("tags", [CHINESE, ["vip；深圳", "new"], "vip\n深圳\nnew"])
def test_a_bulk_job_from_the_upload_api_takes_three_tags(client, admin_user, tim, tags):
    api = api_client(client, admin_user)
    answer = api.post("/api/audience/jobs/upload/", {
        "action": "add_tags", "tags": tags,
        "accounts_file": SimpleUploadedFile("a.txt", b"a1\na2\n")})
    assert answer.status_code == 202, answer.content
    assert answer.json()["tags"] == THREE


def test_the_account_look_up_adds_chinese_separated_tags(client, admin_user, tim, tim_client):
    client.force_login(admin_user)
    client.post("/admin/audience/attributename/lookup/",
                {"account": "mary", "op": "add_tags", "values": CHINESE})
    assert sorted(tim_client.members.get_tags(["mary"]).values["mary"]) == sorted(THREE)


def test_a_test_group_holds_three_accounts(client, marketer):
    client.force_login(marketer)
    page = client.post("/test-groups/", {"name": "Phones", "accounts": "mary，li、wang；zhao"},
                       follow=True)
    assert TestGroup.objects.get().accounts == ["mary", "li", "wang", "zhao"]
    assert "4 accounts" in page.content.decode()


def test_a_test_send_goes_to_three_typed_accounts(client, marketer, tim):
    tim.post("accounts", {"accounts": ["mary", "li"]})
    campaign = services.campaign_create(user=marketer, name="Weekend",
                                        push={"MsgBody": TEXT, "OfflinePushInfo": OFFLINE})
    client.force_login(marketer)
    page = client.post(f"/campaigns/{campaign.pk}/test-send/", {"accounts": "mary，ghost、li"},
                       follow=True)
    assert "Tencent accepted 2 of 3 accounts" in page.content.decode()
    [sent] = tim.state()["batches"]
    assert sent["body"]["To_Account"] == ["mary", "ghost", "li"]

