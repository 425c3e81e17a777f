"""Punctuation a page puts around words it composes, in the reader's language: Chinese writes
full-width brackets and the enumeration comma, and ASCII ones beside Chinese words read as
typos ("时间 (北京、上海)", "五折优惠 (正文, 图片)")."""

from django import template

from core.text import in_brackets, words_list

register = template.Library()
register.filter("in_brackets", in_brackets)


@register.filter(name="words_list")
def words_list_filter(items) -> str:
    """Items named in a sentence: "Text, Image" in English, "正文、图片" in Chinese."""
    return words_list(items)
