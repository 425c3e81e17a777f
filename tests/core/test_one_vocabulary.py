"""Each Tencent error code and each rule is worded in one place: pushclient's English (marked for
translation) or, for the product's own rules, core.payload_words. Found (issue 24): 70107 had
five wordings in five files, and each payload rule two."""

import ast
from pathlib import Path

from django.utils import translation

from core.payload_words import PRODUCT_RULES
from pushclient.errors import EXPLANATIONS
from pushclient.payload import RULES

ROOT = Path(__file__).resolve().parents[2]
APPS = ("pushclient", "core", "audience", "campaigns", "reports", "config")


def strings_by_file() -> dict[str, list[str]]:
    """Every string literal of our code (adjacent literals joined, as Python joins them)."""
    return {str(path.relative_to(ROOT)): [node.value for node in ast.walk(ast.parse(
                path.read_text(encoding="utf-8"))) if isinstance(node, ast.Constant)
                and isinstance(node.value, str)]
            for app in APPS for path in (ROOT / app).rglob("*.py")
            if "migrations" not in path.parts}


def test_it_words_each_code_and_rule_once():
    strings = strings_by_file()
    with translation.override("en"):
        product = [str(words) for words in PRODUCT_RULES.values()]
    for words in [*EXPLANATIONS.values(), *RULES.values(), *product]:
        places = [path for path, texts in strings.items() if any(words in t for t in texts)]
        assert len(places) == 1, (words, places)
