"""The audience admin in words: each page speaks of what a person sees, never the wire format,
in the reader's language."""

import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from audience import jobs, services
from audience.models import Job, KnownAccount, Segment
from core.audit import audit_record

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"user_id,email,country\nmary,mary@example.com,CN\nbob,bob@example.com,SG\n"


@pytest.fixture
def admin_client(client, admin_user, tim):
    client.force_login(admin_user)
    return client


def test_an_attribute_name_error_names_the_index_a_person_typed_in(admin_client):
    """Beside the index typed in, not `AttrNames['4'] is 51 bytes` at the top of the form."""
    page = admin_client.post("/admin/audience/attributename/", {"4": "x" * 51}).content.decode()
    assert "AttrNames" not in page
    assert 'data-testid="error-4"' in page
    assert "Index 4 is 51 bytes long; Tencent allows at most 50 bytes" in page
    assert 'aria-invalid="true"' in page


def test_a_name_given_to_two_indexes_is_refused_on_the_second(admin_client):
    page = admin_client.post("/admin/audience/attributename/",
                             {"0": "city", "3": "city"}).content.decode()
    assert 'data-testid="error-3"' in page
    assert "Index 3: index 0 already has the name “city”" in page
    assert "AttrNames" not in page


def test_the_account_lookup_has_labels_and_keeps_the_operation_after_an_error(admin_client,
                                                                            tim_client):
    """Each input has a label, and an error keeps the operation chosen (not "Add tags")."""
    tim_client.members.add_tags({"mary": ["vip"]})
    page = admin_client.get("/admin/audience/attributename/lookup/?account=mary")
    html = page.content.decode()
    for field_id in ("lookup-account", "lookup-op", "lookup-values"):
        assert f'<label for="{field_id}">' in html and f'id="{field_id}"' in html
    page = admin_client.post("/admin/audience/attributename/lookup/",
                             {"account": "mary", "op": "set_attrs", "values": "nosuch=1"},
                             follow=True)
    html = page.content.decode()
    assert '<li class="error">' in html  # the message
    assert '<option value="set_attrs" selected>' in html
    assert 'value="nosuch=1"' in html
    page = admin_client.post("/admin/audience/attributename/lookup/",
                             {"account": "mary", "op": "remove_tags", "values": "vip"},
                             follow=True)
    html = page.content.decode()
    assert "Removed the tags vip from mary." in html
    assert '<option value="remove_tags" selected>' in html
    assert "Done." not in html


def test_account_lookup_errors_name_the_field_in_the_readers_words(admin_client, tim_client):
    """In the reader's language, not `UserTags[0].Tags tag 'xxx…' is 100 bytes` in English
    on the Chinese page too."""
    tim_client.members.add_tags({"mary": ["vip"]})
    admin_client.post("/preferences/", {"language": "zh-hans", "next": "/"})
    page = admin_client.post("/admin/audience/attributename/lookup/",
                             {"account": "mary", "op": "add_tags", "values": "x" * 100},
                             follow=True)
    html = page.content.decode()
    assert '<li class="error">' in html
    assert "UserTags" not in html and "标签" in html


def test_a_csv_with_a_header_and_no_column_is_refused_not_stored(admin_client):
    """A header such as `user_id,email,country` is not stored as an account."""
    page = admin_client.post("/admin/audience/segment/add/", {
        "name": "spring", "accounts_file": SimpleUploadedFile("s.csv", CSV)})
    assert page.status_code == 200
    assert ("The file has several columns (user_id, email, country): choose the column that "
            "holds the account ids") in page.content.decode()
    assert not Segment.objects.exists()
    page = admin_client.post("/admin/audience/segment/add/", {
        "name": "spring", "accounts_file": SimpleUploadedFile("s.csv", CSV),
        "column": "user_id"})
    assert page.status_code == 302
    assert sorted(Segment.objects.get().accounts.values_list("account", flat=True)) == [
        "bob", "mary"]


def test_a_one_column_file_headed_by_a_column_name_is_refused(admin_client):
    page = admin_client.post("/admin/audience/segment/add/", {
        "name": "s", "pasted": "user_id\nmary\nbob"})
    assert "Line 1 reads &#x27;user_id&#x27;, which names a column" in page.content.decode()
    assert not Segment.objects.exists()


def test_the_upload_preview_detects_the_header_and_shows_the_first_accounts(admin_client):
    page = admin_client.post("/admin/audience/segment/preview/", {
        "head": SimpleUploadedFile("head", CSV), "complete": "1"})
    html = page.content.decode()
    assert "The first line names the columns: user_id, email, country." in html
    assert 'data-suggested="user_id"' in html
    assert "<td>2</td><td>mary</td>" in html and "<td>3</td><td>bob</td>" in html
    assert "user_id,email" not in html.split('data-testid="preview-rows"')[1]
    assert not Segment.objects.exists(), "a preview stores nothing"
    page = admin_client.post("/admin/audience/segment/preview/", {
        "head": SimpleUploadedFile("head", CSV), "complete": "1", "column": "email"})
    assert "<td>2</td><td>mary@example.com</td>" in page.content.decode()


def test_the_preview_reads_only_whole_lines_of_a_cut_file(admin_client):
    head = "\n".join(f"member{i}" for i in range(5)).encode() + "\nmember5-cut-中".encode()[:-1]
    page = admin_client.post("/admin/audience/segment/preview/", {
        "head": SimpleUploadedFile("head", head), "complete": "0"})
    html = page.content.decode()
    assert "<td>5</td><td>member4</td>" in html and "member5" not in html


def test_a_segments_accounts_can_be_seen_searched_and_downloaded(admin_client, admin_user):
    """A segment's accounts are listed, searchable and downloadable from its page."""
    segment = services.segment_import(user=admin_user, name="spring",
                                      lines=[f"member{i:03d}" for i in range(250)])
    listing = admin_client.get("/admin/audience/segment/").content.decode()
    assert f"/admin/audience/segment/{segment.pk}/accounts/" in listing
    page = admin_client.get(f"/admin/audience/segment/{segment.pk}/accounts/").content.decode()
    assert "250 accounts in this segment." in page
    assert "<td>member000</td>" in page and "<td>member099</td>" in page
    assert "member100" not in page and "Page 1 of 3" in page
    page = admin_client.get(f"/admin/audience/segment/{segment.pk}/accounts/?q=member24")
    assert page.content.decode().count("<td>member24") == 10
    csv_file = admin_client.get(f"/admin/audience/segment/{segment.pk}/accounts.csv")
    lines = b"".join(csv_file.streaming_content).decode().splitlines()
    assert lines[0] == "account" and len(lines) == 251 and lines[-1] == "member249"


def test_every_admin_list_shows_readable_names(admin_client, admin_user):
    """Each row reads as what it is, never "KnownAccount object (5000)"."""
    KnownAccount.objects.create(account="mary")
    segment = services.segment_import(user=admin_user, name="spring", lines=["mary"])
    services.job_create(user=admin_user, action="add_tags", segment=segment, tags=["vip"])
    for url in ("/admin/audience/knownaccount/", "/admin/audience/segment/",
                "/admin/audience/job/", "/admin/core/apitoken/", "/admin/campaigns/campaign/"):
        html = admin_client.get(url).content.decode()
        assert " object (" not in html, url
    assert "<td class=\"field-account\">mary</td>" in admin_client.get(
        "/admin/audience/knownaccount/").content.decode() or ">mary<" in admin_client.get(
        "/admin/audience/knownaccount/").content.decode()
    index = admin_client.get("/admin/").content.decode()
    for words in ("Known accounts", "Segments", "Bulk jobs", "Attribute names"):
        assert words in index


def test_a_finished_job_offers_neither_cancel_nor_resume(admin_client, admin_user, tim):
    """A finished job offers no Cancel or Resume: they would do nothing."""
    tim.post("accounts", {"accounts": ["a1"]})
    segment = services.segment_import(user=admin_user, name="s", lines=["a1", "ghost"])
    job = services.job_create(user=admin_user, action="add_tags", segment=segment,
                              tags=["vip"], api="timpush")
    page = admin_client.get(f"/admin/audience/job/{job.pk}/change/").content.decode()
    assert "Waiting to start" in page and "Cancel job" in page and "Resume job" not in page
    jobs.job_run(job.pk)
    page = admin_client.get(f"/admin/audience/job/{job.pk}/change/").content.decode()
    assert 'data-testid="job-status" id="status">Finished<' in page
    assert "Cancel job" not in page and "Resume job" not in page
    assert "ghost" in page and "Download failed accounts (CSV)" in page
    page = admin_client.post(f"/admin/audience/job/{job.pk}/cancel/", follow=True)
    assert "Nothing changed: the job is finished." in page.content.decode()
    assert Job.objects.get().status == "done"


def test_a_cancelled_job_offers_resume_only(admin_client, admin_user):
    segment = services.segment_import(user=admin_user, name="s", lines=["a1"])
    job = services.job_create(user=admin_user, action="add_tags", segment=segment, tags=["v"])
    admin_client.post(f"/admin/audience/job/{job.pk}/cancel/")
    page = admin_client.get(f"/admin/audience/job/{job.pk}/change/").content.decode()
    assert "Resume job" in page and "Cancel job" not in page and ">Cancelled<" in page


def test_job_fields_are_explained_in_words(admin_client, admin_user):
    """Each field is named in words, with how to fill it, not "Api" and "Attrs"."""
    segment = services.segment_import(user=admin_user, name="s", lines=["a1"])
    services.attribute_names_update(user=admin_user, names={"0": "city"})
    form = admin_client.get("/admin/audience/job/add/").content.decode()
    assert ">Api<" not in form and ">Attrs<" not in form and "Api:" not in form
    assert "Tencent API" in form and "Attributes" in form
    assert "name=value, one a line" in form
    job = services.job_create(user=admin_user, action="set_attrs", segment=segment,
                              attrs={"city": "Shenzhen"})
    page = admin_client.get(f"/admin/audience/job/{job.pk}/change/").content.decode()
    assert "city = Shenzhen" in page and "{&#x27;city&#x27;" not in page
    assert "Push to all users (all_member_push)" in page


def test_the_audience_admin_reads_in_chinese(admin_client, admin_user):
    """The custom admin templates, the app and the model names are translated."""
    from core.models import Preference
    Preference.objects.create(user=admin_user, language="zh-hans")
    admin_client.force_login(admin_user)
    segment = services.segment_import(user=admin_user, name="s", lines=["a1"])
    job = services.job_create(user=admin_user, action="add_tags", segment=segment, tags=["v"])
    pages = {"/admin/": ["受众", "分群", "批量任务"],
             "/admin/audience/attributename/": ["保存到腾讯"],
             "/admin/audience/attributename/lookup/": ["账号 ID"],
             "/admin/audience/segment/add/": ["上传"],
             "/admin/audience/job/add/": ["开始任务"],
             f"/admin/audience/job/{job.pk}/change/": ["等待开始", "取消任务"],
             f"/admin/audience/segment/{segment.pk}/accounts/": ["下载全部"]}
    for url, words in pages.items():
        html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        for word in words:
            assert word in html, (url, word)


def test_the_audit_log_speaks_words_not_codes(client, admin_user):
    """Sentences, not `{'0': 'sex'}` or `job add_tags`."""
    segment = services.segment_import(user=admin_user, name="spring", lines=["a1"])
    services.job_create(user=admin_user, action="add_tags", segment=segment, tags=["vip"])
    # Rows kept from before the one trail, as the migration copied them.
    audit_record(actor=admin_user, verb="legacy", action="attribute names set",
                 detail="{'0': 'sex'}")
    audit_record(actor=admin_user, verb="legacy", action="job remove_tags",
                 detail="job 7 on segment 'autumn' (1,200 accounts)")
    audit_record(actor=admin_user, verb="account.changed", subject_type="account",
                 account="mary", operation="remove_all_tags", values="")
    importlib.import_module("core.migrations.0004_old_audit_rows_in_todays_shape").convert(
        apps, None)
    client.force_login(admin_user)
    html = client.get("/audit/").content.decode()
    assert "add_tags" not in html and "remove_all_tags" not in html
    assert "{&#x27;" not in html and "{'" not in html
    assert "started a job: Add tags on spring (1 account)" in html
    assert "set attribute names: 0=sex" in html
    assert "started a job: Remove tags on autumn (1,200 accounts)" in html
    assert "Remove all tags on account mary" in html
    assert "Bulk job #" in html and "When" in html
    from core.models import Preference
    Preference.objects.create(user=admin_user, language="zh-hans")
    client.force_login(admin_user)
    zh = client.get("/audit/").content.decode()
    assert "审计日志" in zh and "发送时间" not in zh and "启动了任务：对 spring（1 个账号）添加标签" in zh
