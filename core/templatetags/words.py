"""Punctuation a page puts around words it composes, in the reader's language: Chinese writes
full-width brackets and the enumeration comma, and ASCII ones beside Chinese words read as
typos ("时间 (北京、上海)", "五折优惠 (正文, 图片)")."""

from django import template
from django.utils.translation import pgettext

from core.text import words_list

register = template.Library()


@register.filter
def in_brackets(detail) -> str:
    """A detail after the words before it: " (22:00–08:00)" in English, "（22:00–08:00）" in
    Chinese."""
    return pgettext("a detail in brackets after words", " (%(detail)s)") % {"detail": detail}


@register.filter(name="words_list")
def words_list_filter(items) -> str:
    """Items named in a sentence: "Text, Image" in English, "正文、图片" in Chinese."""
    return words_list(items)
