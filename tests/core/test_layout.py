"""Dependencies between our apps run one way: core <- audience <- campaigns <- reports, and pushclient
imports none of them; no app imports config; no import of ours hides inside a function to dodge a
cycle."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
OURS = ("core", "audience", "campaigns", "reports", "pushclient", "config")
# What each package may import of ours.
ALLOWED = {"pushclient": {"pushclient"}, "core": {"pushclient", "core"},
           "audience": {"pushclient", "core", "audience"},
           "campaigns": {"pushclient", "core", "audience", "campaigns"},
           "reports": {"pushclient", "core", "audience", "campaigns", "reports"}}


def imports(path: pathlib.Path):
    """(top-level package imported, whether the import sits inside a function) for each import."""
    tree = ast.parse(path.read_text())
    inside = {id(node) for fn in ast.walk(tree)
              if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
              for node in ast.walk(fn)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [path.relative_to(ROOT).parts[0] if node.level else (node.module or "")]
        else:
            continue
        for name in names:
            yield name.split(".")[0], id(node) in inside


def package_files(package: str):
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def test_apps_depend_on_each_other_one_way():
    wrong = [(str(p.relative_to(ROOT)), name) for package, allowed in ALLOWED.items()
             for p in package_files(package) for name, _ in imports(p)
             if name in OURS and name not in allowed]
    assert wrong == []


def test_no_import_of_ours_hides_inside_a_function():
    hidden = [str(p.relative_to(ROOT)) for package in ALLOWED for p in package_files(package)
              if p.name != "apps.py"  # AppConfig.ready() is where Django connects receivers
              for name, inside in imports(p) if inside and name in OURS]
    assert hidden == []


def test_pushclient_imports_no_django():
    assert not [p for p in package_files("pushclient") for name, _ in imports(p)
                if name == "django"]
