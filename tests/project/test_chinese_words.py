"""The Chinese catalogue reads as one product in Chinese. One word for
"campaign", 推送任务 (eight entries said 活动, and 65 a bare 推送, which is also the word for one
push: "I understand: every push of this campaign…" read as 此推送…的各时区推送), Chinese
punctuation inside Chinese sentences, and no field key standing in for a thing's name
("weekdays（星期）：…")."""

import re
from pathlib import Path

import pytest

from tests.project.test_translations import ROOT, _entries

LOCALE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
CHINESE = r"[\u4e00-\u9fff]"
# What stays as typed inside a sentence: placeholders, markup, examples in <code>.
KEPT = re.compile(r"%\([a-z_]+\)[-+ #0-9.]*[sdf]|\{[a-z_]+\}|%[sd]|<code>.*?</code>|<[^>]+>")


def catalogue(domain: str) -> list[tuple[str, str]]:
    path = Path(LOCALE / f"{domain}.po")
    return [(msgid.split("\x04")[-1], msgstr)
            for _comments, msgid, msgstr in _entries(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_a_campaign_is_always_tuisong_renwu(domain):
    """Every entry naming a campaign says 推送任务; 推送 alone stays for a push (one send)."""
    entries = catalogue(domain)
    assert not [msgstr for _msgid, msgstr in entries if "活动" in msgstr]
    untranslated = [(msgid, msgstr) for msgid, msgstr in entries
                    if re.search(r"\bcampaigns?\b", msgid, re.I) and "推送任务" not in msgstr]
    assert not untranslated


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_chinese_sentences_use_chinese_punctuation(domain):
    """", " or ": " or "(" beside a Chinese character reads as a typo; "，" "：" "（" are meant."""
    ascii_beside_chinese = re.compile(
        rf"{CHINESE}\s?[,:;()!?]|[,:;()!?]\s?{CHINESE}")
    found = [msgstr for _msgid, msgstr in catalogue(domain)
             if ascii_beside_chinese.search(KEPT.sub("X", msgstr))]
    assert not found


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_no_message_starts_with_a_field_key(domain):
    """Keys stay in the API's `errors`; the words name the thing ("请至少选择一周中的一天")."""
    key_first = re.compile(r"^[a-z]+(_[a-z]+)*\s*[（(:：]")
    found = [(msgid, msgstr) for msgid, msgstr in catalogue(domain)
             if key_first.search(msgid) or key_first.search(msgstr)]
    assert not found


def test_a_list_in_a_chinese_sentence_is_separated_by_the_enumeration_comma():
    from django.utils import translation

    from core.text import words_list
    with translation.override("zh-hans"):
        assert words_list(["周一", "周四"]) == "周一、周四"
    with translation.override("en"):
        assert words_list(["Mon", "Thu"]) == "Mon, Thu"
