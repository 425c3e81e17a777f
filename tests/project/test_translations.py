"""The catalogue stays complete: what `makemessages` would write is what is committed, every entry
is translated and none is fuzzy, and the compiled .mo is the .po's: a stale .po, or a fuzzy
match such as "Nothing yet." for 尚未发送 ("not sent yet"), fails here."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# One test worker runs this module (make test: --dist loadgroup), so its module fixture is
# made once, not once on each worker.
pytestmark = pytest.mark.xdist_group("translations")

ROOT = Path(__file__).resolve().parents[2]
LOCALE = Path("locale") / "zh_Hans" / "LC_MESSAGES"
# The command `make messages` runs (docs/development.md), so the check and people run the same.
MAKEMESSAGES = ["makemessages", "-l", "zh_Hans", "--no-location", "-i", ".venv/*", "-i", "var/*"]
SKIP = shutil.ignore_patterns(".venv", "var", ".git", "staticfiles", "docs", "node_modules",
                              "__pycache__", ".pytest_cache", ".hypothesis", "*.sqlite3*")


def _entries(po: str) -> list[tuple[list[str], str, str]]:
    """(comment lines, msgid with its context, msgstr), one per entry but the header."""
    out = []
    for block in po.split("\n\n"):
        lines = [ln for ln in block.strip().splitlines() if not ln.startswith("#~")]
        comments = [ln for ln in lines if ln.startswith("#")]
        keyed: dict[str, str] = {}
        key = None
        for ln in lines:
            if ln.startswith("#"):
                continue
            if ln.startswith('"'):
                keyed[key] += ln[1:-1]
                continue
            key, _sep, value = ln.partition(" ")
            keyed[key] = value[1:-1]
        if keyed.get("msgid"):
            msgstrs = [v for k, v in keyed.items() if k.startswith("msgstr")]
            out.append((comments, keyed.get("msgctxt", "") + "\x04" + keyed["msgid"],
                        min(msgstrs, key=len)))
    return out


def _without_dates(po: str) -> str:
    return "\n".join(ln for ln in po.splitlines() if not ln.startswith('"POT-Creation-Date:'))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """A copy of the project with makemessages run in it (the work tree stays untouched)."""
    copy = tmp_path_factory.mktemp("messages") / "project"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    env = {**os.environ, "DJANGO_DEVELOPMENT": "1", "VAR_DIR": str(copy / "var"),
           "DATABASE_URL": f"sqlite:///{copy / 'var' / 'db.sqlite3'}"}
    domains = [["-d", "django"]]
    if (ROOT / LOCALE / "djangojs.po").exists():
        domains.append(["-d", "djangojs"])
    for domain in domains:
        subprocess.run([sys.executable, "manage.py", *MAKEMESSAGES, *domain], cwd=copy, env=env,
                       check=True, capture_output=True, timeout=300)
    return copy


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_makemessages_would_not_change_the_catalogue(regenerated, domain):
    committed = ROOT / LOCALE / f"{domain}.po"
    if not committed.exists():
        assert not (regenerated / LOCALE / f"{domain}.po").exists()
        return
    fresh = (regenerated / LOCALE / f"{domain}.po").read_text(encoding="utf-8")
    assert _without_dates(fresh) == _without_dates(committed.read_text(encoding="utf-8")), (
        f"{committed.name} is stale: run `make messages`, translate every "
        "new entry, remove #, fuzzy, then msgfmt")


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_entry_is_translated_and_none_is_fuzzy(domain):
    po_file = ROOT / LOCALE / f"{domain}.po"
    if not po_file.exists():
        return
    entries = _entries(po_file.read_text(encoding="utf-8"))
    assert entries
    fuzzy = [msgid for comments, msgid, _ in entries
             if any(c.startswith("#,") and "fuzzy" in c for c in comments)]
    untranslated = [msgid for _, msgid, msgstr in entries if not msgstr]
    assert fuzzy == [] and untranslated == []


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_compiled_catalogue_is_the_committed_one(tmp_path, domain):
    po_file = ROOT / LOCALE / f"{domain}.po"
    if not po_file.exists():
        return
    subprocess.run(["msgfmt", "-o", str(tmp_path / "out.mo"), str(po_file)], check=True)
    assert (tmp_path / "out.mo").read_bytes() == (ROOT / LOCALE / f"{domain}.mo").read_bytes(), (
        f"{domain}.mo is not compiled from {domain}.po: run msgfmt")


def test_nothing_yet_is_not_translated_as_not_sent_yet():
    from django.utils import translation
    with translation.override("zh-hans"):
        assert translation.gettext("Nothing yet.") != "尚未发送。"
        assert translation.pgettext("time an event happened", "When") != "发送时间"
