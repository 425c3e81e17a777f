"""For generated conditions and bodies, the payload rules accept exactly what the emulator accepts."""

import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushclient import TencentError
from pushclient.payload import push_violations

ATTR_NAMES = {"0": "sex", "1": "city", "2": "会员等级"}
TAG_TEXT = st.text(alphabet=st.sampled_from("ab股票Ä -_"), max_size=20)
ATTR_VALUE = st.text(alphabet=st.sampled_from("xy深圳"), max_size=20)
NAME = st.sampled_from(list(ATTR_NAMES.values()) + ["shoe", ""])

conditions = st.one_of(
    st.dictionaries(st.sampled_from(["TagsAnd", "TagsOr"]), st.lists(TAG_TEXT, max_size=12),
                    max_size=2),
    st.dictionaries(st.sampled_from(["AttrsAnd", "AttrsOr"]),
                    st.dictionaries(NAME, ATTR_VALUE, max_size=3), max_size=2),
    st.dictionaries(st.sampled_from(["TagsOr", "AttrsOr", "TagsNot"]),
                    st.one_of(st.lists(TAG_TEXT, max_size=2), st.dictionaries(NAME, ATTR_VALUE)),
                    max_size=2),
    st.sampled_from([[], "vip", None]),
)

VALID_ELEMENTS = [
    {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}},
    {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": "push text"}},
    {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 1, "Data": "x"}},
    {"MsgType": "TIMLocationElem", "MsgContent": {"Latitude": 1.5, "Longitude": 2}},
    {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "https://s", "UUID": "u", "Download_Flag": 2}},
]


@st.composite
def elements(draw):
    element = draw(st.sampled_from(VALID_ELEMENTS))
    content = dict(element["MsgContent"])
    mutation = draw(st.sampled_from(["none"] * 12 + ["drop", "retype", "type", "content"]))
    if mutation == "drop":
        content.pop(draw(st.sampled_from(sorted(content))))
    elif mutation == "retype":
        content[draw(st.sampled_from(sorted(content)))] = draw(
            st.sampled_from([None, 3, "3", 1.5, [], {}, True]))
    elif mutation == "type":
        return {"MsgType": draw(st.sampled_from(["TIMNopeElem", "", 5])), "MsgContent": content}
    elif mutation == "content":
        return {"MsgType": element["MsgType"], "MsgContent": draw(st.sampled_from(["x", [], 1]))}
    return {"MsgType": element["MsgType"], "MsgContent": content}


@st.composite
def push_bodies(draw):
    body = {"MsgRandom": secrets.randbelow(2**32),
            "MsgBody": draw(st.one_of(*[st.lists(elements(), min_size=1, max_size=2)] * 8,
                                      st.sampled_from(["hi", {}, []]))),
            }
    if draw(st.booleans()):
        body["MsgLifeTime"] = draw(st.one_of(st.integers(-5, 604805), st.sampled_from(["1", 1.5])))
    if draw(st.booleans()):
        body["Condition"] = draw(conditions)
    if draw(st.booleans()):
        body["OfflinePushInfo"] = draw(st.fixed_dictionaries({}, optional={
            "PushFlag": st.sampled_from([0, 1, 2, "0"]), "Title": st.sampled_from(["t", 5]),
            "ApnsInfo": st.sampled_from([{"BadgeMode": 1}, {"BadgeMode": 2}, "x",
                                         {"Vendor": "kept"}]),
        }))
    if draw(st.booleans()):
        body["From_Account"] = draw(st.sampled_from(["marketing", "", "a b", "x" * 33, 7]))
    return body


@pytest.fixture
def permissive_emulator(emulator, tim_client):
    """Spacing and quota off, so every example meets only the format rules."""
    emulator.post("config", {"min_push_interval": 0, "daily_quota": 10**9,
                             "msgrandom_dedupe_seconds": 0})
    tim_client.members.set_attr_names(ATTR_NAMES)
    # The attribute names come from the server, as the dashboard reads them.
    return tim_client.members.get_attr_names().values()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=push_bodies())
def test_the_rules_and_the_emulator_agree(permissive_emulator, tim_client, body):
    violations = push_violations(body, attr_names=permissive_emulator)
    try:
        tim_client.call("all_member_push", "im_push", body, retries=0)
        server_code = 0
    except TencentError as exc:
        server_code = exc.code
    expected = violations[0].code if violations else 0
    condition = body.get("Condition")
    if not violations and isinstance(condition, dict) and "TagsNot" in condition:
        expected = 90001  # the emulator's own refusal: TagsNot is timpush/push's (§3.1)
    assert server_code == expected, violations
