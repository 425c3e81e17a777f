"""The product's own push rules: stricter than Tencent, said in the marketer's words, checked
at save time in the JSON API and the editor, so nothing useless is stored or sent."""

import json

import pytest
from django.utils import translation

from campaigns.models import Campaign
from campaigns.push_rules import push_product_errors
from tests.campaigns.test_api import post
from tests.campaigns.test_pages import editor_post
from tests.conftest import TEXT

# What the editor's "add image" builds before anything is filled in (campaigns/static editor.js).
BLANK_IMAGE = {"MsgType": "TIMImageElem", "MsgContent": {
    "UUID": "", "ImageInfoArray": [{"Type": 1, "URL": "", "Width": 0, "Height": 0}]}}
IMAGE_WITHOUT_URL = {"MsgType": "TIMImageElem", "MsgContent": {"UUID": ""}}


def element(msg_type, **content):
    return {"MsgBody": [{"MsgType": msg_type, "MsgContent": content}]}


@pytest.mark.parametrize("push, field, words", [
    ({"MsgBody": [BLANK_IMAGE]}, "MsgBody[0].MsgContent.ImageInfoArray[0].URL",
     "Image 1 has no URL. Tencent would send it"),
    ({"MsgBody": [BLANK_IMAGE]}, "MsgBody[0].MsgContent.UUID",
     "Element 1 (Image): File ID is missing"),
    ({"MsgBody": [IMAGE_WITHOUT_URL]}, "MsgBody[0].MsgContent.ImageInfoArray",
     "The image has no picture URL"),
    (element("TIMSoundElem", UUID="u", Download_Flag=2), "MsgBody[0].MsgContent.Url",
     "Element 1 (Voice message): File URL is missing. Tencent would send the element without it"),
    (element("TIMFileElem", Url="https://f", UUID=" "), "MsgBody[0].MsgContent.UUID",
     "File ID is missing"),
    (element("TIMVideoFileElem", VideoUrl="https://v", VideoUUID="v", ThumbUUID="t"),
     "MsgBody[0].MsgContent.ThumbUrl", "Cover image URL is missing"),
    (element("TIMLocationElem", Desc="shop"), "MsgBody[0].MsgContent.Latitude",
     "could not place it on a map"),
    (element("TIMTextElem", Text="  "), "MsgBody[0].MsgContent.Text",
     "The text is empty. Tencent would send it"),
    ({"MsgBody": TEXT, "From_Account": " shop"}, "From_Account",
     "starts or ends with a space. Tencent would take it as another account"),
    ({"MsgBody": TEXT, "From_Account": "shop\t"}, "From_Account", "starts or ends with a space"),
    ({"MsgBody": TEXT, "From_Account": "sh\x07op"}, "From_Account", "invisible control character"),
    ({"MsgBody": TEXT, "From_Account": ""}, "From_Account", "Leave it out to send as the app"),
    ({"MsgBody": TEXT, "From_Account": "x" * 33}, "From_Account", "is 33 bytes long"),
    ({"MsgBody": TEXT, "Condition": {"TagsNot": ["a"]}}, "Condition.TagsNot",
     "the push could reach everyone"),
    ({"MsgBody": TEXT, "Condition": {"TagsOr": []}}, "Condition.TagsOr",
     "Any of these tags is empty"),
    ({"MsgBody": TEXT, "OfflinePushInfo": {"PushFlag": 2}}, "OfflinePushInfo.PushFlag",
     "Offline push on or off must be 0 or 1. Tencent documents no other value"),
    ({"MsgBody": TEXT, "OfflinePushInfo": {"ApnsInfo": {"BadgeMode": "1"}}},
     "OfflinePushInfo.ApnsInfo.BadgeMode", "iOS badge must be 0 or 1"),
])
def test_it_names_the_field_and_says_it_is_stricter_than_tencent(push, field, words):
    errors = push_product_errors(push)
    assert any(words in message for message in errors.get(field, [])), errors


@pytest.mark.parametrize("push", [
    {"MsgBody": TEXT, "From_Account": "Zhang Xiaohong"},  # the docs' own sample id
    {"MsgBody": [{"MsgType": "TIMImageElem", "MsgContent": {"UUID": "u", "ImageInfoArray": [
        {"Type": 1, "URL": "https://x/0", "Width": 0, "Height": 0}]}}]},
    {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]},
     "OfflinePushInfo": {"PushFlag": 1, "ApnsInfo": {"BadgeMode": 0}}},
    "not a push", {"MsgBody": "x"}, {"MsgBody": [None, {"MsgType": 5, "MsgContent": []}]},
    {"MsgBody": TEXT, "Condition": ["vip"], "OfflinePushInfo": "x", "From_Account": 7},
])
def test_a_good_push_or_one_only_tencent_refuses_gets_no_product_error(push):
    assert push_product_errors(push) == {}


def test_tencent_takes_what_the_product_refuses_so_the_messages_tell_the_truth(tim_client,
                                                                             emulator):
    tim_client.push(msg_body=[BLANK_IMAGE], from_account=" shop")
    assert emulator.state()["pushes"][0]["body"]["MsgBody"] == [BLANK_IMAGE]


def test_the_messages_are_translated():
    with translation.override("zh-hans"):
        errors = push_product_errors({"MsgBody": [BLANK_IMAGE]})
    assert errors["MsgBody[0].MsgContent.ImageInfoArray[0].URL"] == [
        "第 1 张图片没有 URL。腾讯会照常发送，但手机上什么也显示不出来：请添加图片的 URL。"]


@pytest.mark.django_db
@pytest.mark.parametrize("image", [BLANK_IMAGE, IMAGE_WITHOUT_URL])
def test_the_api_refuses_an_image_without_url_and_stores_nothing(api, tim, image):
    answer = post(api, "/api/campaigns/", {"name": "Sale", "push": {"MsgBody": [image]},
                                           "send_at": "2030-01-02T09:30:00+08:00"})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert any(path.startswith("MsgBody[0].MsgContent.ImageInfoArray") for path in errors)
    assert "MsgBody[0].MsgContent.UUID" in errors
    assert Campaign.objects.count() == 0
    assert tim.state()["pushes"] == []


@pytest.mark.django_db
def test_the_editor_refuses_an_image_without_url_and_stores_nothing(client, marketer, tim):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(msg_body=json.dumps([BLANK_IMAGE]),
                                                        schedule="now"))
    assert answer.status_code == 200
    rule_errors = answer.context["form"].rule_errors
    assert rule_errors["MsgBody[0].MsgContent.ImageInfoArray[0].URL"] == [
        "Image 1 has no URL. Tencent would send it, but phones would show nothing: add the "
        "image's URL."]
    assert "Image 1 has no URL" in answer.content.decode()
    assert Campaign.objects.count() == 0
    assert tim.state()["pushes"] == []


@pytest.mark.django_db
def test_the_editor_refuses_a_sender_with_an_invisible_character(client, marketer):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(from_account="sh\x07op"))
    assert answer.status_code == 200
    assert "Sender account holds an invisible control character" in answer.content.decode()
    assert Campaign.objects.count() == 0


# What the editor builds from a picture URL: the same URL in all three sizes (editor.js).
def picture(url):
    return {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "img-1", "ImageFormat": 3,
            "ImageInfoArray": [{"Type": t, "URL": url, "Width": 3, "Height": 2} for t in (1, 2, 3)]}}


HTTP_PICTURE = "http://cdn.example.com/sale.png"
NOT_HTTPS = ("is not an https:// address. Tencent would send it, but phones load pictures only "
             "over https, and this page shows only https pictures: use the picture's https:// "
             "address.")


@pytest.mark.parametrize("push, field", [
    ({"MsgBody": [picture(HTTP_PICTURE)]}, "MsgBody[0].MsgContent.ImageInfoArray[0].URL"),
    ({"MsgBody": [picture("cdn.example.com/sale.png")]},
     "MsgBody[0].MsgContent.ImageInfoArray[0].URL"),
    ({"MsgBody": TEXT, "OfflinePushInfo": {"ApnsInfo": {"Image": HTTP_PICTURE}}},
     "OfflinePushInfo.ApnsInfo.Image"),
    (element("TIMVideoFileElem", VideoUrl="https://v", VideoUUID="v", ThumbUUID="t",
             ThumbUrl=HTTP_PICTURE), "MsgBody[0].MsgContent.ThumbUrl"),
])
def test_a_picture_not_on_https_is_refused_once_saying_why(push, field):
    """An http:// picture is neither saved nor sent: the page's Content-Security-Policy loads
    only https pictures, so the preview would show nothing, and phones load none over http."""
    errors = push_product_errors(push)
    assert list(errors) == [field] and len(errors[field]) == 1, errors
    assert errors[field][0].endswith(NOT_HTTPS)


def test_a_picture_on_https_is_taken():
    assert push_product_errors({"MsgBody": [picture("HTTPS://cdn.example.com/sale.png")],
                                "OfflinePushInfo": {"ApnsInfo": {
                                    "Image": "https://cdn.example.com/sale.png"}}}) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("language, words", [
    ("en", "Element 1 (Image): picture 1, Picture URL " + NOT_HTTPS),
    ("zh-hans", "第 1 个元素（图片）：第 1 张图片，图片网址不是 https:// 地址。腾讯会照常发送，但手机只"
                "通过 https 加载图片，本页面也只显示 https 图片：请改用图片的 https:// 地址。"),
])
def test_the_api_refuses_an_http_picture_in_the_callers_language(api, language, words):
    answer = api.post("/api/campaigns/", {"name": "Sale", "push": {
        "MsgBody": [picture(HTTP_PICTURE)]}}, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"MsgBody[0].MsgContent.ImageInfoArray[0].URL": [words]}
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_the_editor_refuses_an_http_picture_live_and_on_save(client, marketer):
    client.force_login(marketer)
    live = client.post("/campaigns/preview/", editor_post(
        msg_body=json.dumps([picture(HTTP_PICTURE)]), apns_image=HTTP_PICTURE)).json()
    assert live["errors"] == {
        "MsgBody[0].MsgContent.ImageInfoArray[0].URL": [
            "Element 1 (Image): picture 1, Picture URL " + NOT_HTTPS],
        "OfflinePushInfo.ApnsInfo.Image": ["iOS image URL " + NOT_HTTPS]}
    answer = client.post("/campaigns/new/", editor_post(apns_image=HTTP_PICTURE))
    page = answer.content.decode()
    assert answer.status_code == 200 and Campaign.objects.count() == 0
    assert answer.context["form"].error_slots()["apns_image"]["rules"] == [
        "iOS image URL " + NOT_HTTPS]
    assert "iOS image URL is not an https:// address." in page.replace("&#x27;", "'")


@pytest.mark.django_db
def test_the_api_checks_condition_attributes_against_the_app_s_names(api, tim):
    """The API refuses an attribute the app does not have, as the editor does."""
    answer = post(api, "/api/campaigns/", {"name": "x", "push": {
        "MsgBody": TEXT, "Condition": {"AttrsAnd": {"shoe_size": "42"}}}})
    assert answer.status_code == 400
    assert "is not one of the app's attributes" in \
        answer.json()["errors"]["Condition.AttrsAnd"][0]
    assert not Campaign.objects.exists()
