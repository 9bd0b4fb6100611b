"""Tests for app/translations/zh, the catalogue merged over Flask-AppBuilder's zh one.

No Flask app is built. The tests extract FAB's msgids from the installed
package, compile the app's .po into a temporary folder and merge the
catalogues in the order that Flask-Babel 4 uses at run time.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location(
    "check_translations", ROOT / "scripts" / "check_translations.py"
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

# Entries of the app's catalogue that FAB 5.3's extraction does not find:
# two filter names FAB assigns as plain strings, and two common words.
NOT_EXTRACTED_FROM_FAB = {
    "Filter view with a function",
    "Filter view where field is in a list returned by a function",
    "Refresh",
    "List",
}

EXPECTED_TRANSLATIONS = [
    ("Add", "新增"),
    ("Edit", "修改"),
    ("Show", "查看"),
    ("Delete", "删除"),
    ("Contains", "包含"),
    ("In", "属于"),
    ("Equal to", "等于"),
    ("Are you sure you want to delete this item?", "确定要删除这条记录吗？"),
    ("Search", "搜索"),
    ("Back", "返回"),
    ("Save", "保存"),
    ("Actions", "操作"),
    ("Sign In", "登录"),
    ("Logout", "退出系统"),
    ("Username", "身份证号/手机号/用户名"),
    ("Invalid login. Please try again.", "身份证号/手机号或密码错误，请重试"),
    ("Reset my password", "修改密码"),
    ("Reset Password", "修改密码"),
]

# The term that must start the translation of every FAB msgid whose first
# word is the key.
ACTION_TERMS = {"Add": "新增", "Edit": "修改", "Show": "查看", "Delete": "删除"}
# "Add Filter" adds a search condition, not a record, so it reads 添加.
ACTION_TERM_EXCEPTIONS = {"Add Filter"}

# FAB's templates print a colon right after these translations.
FOLLOWED_BY_COLON = [
    "Enter your login and password below",
    "Username",
    "Password",
    "Record Count",
    "Group by fields",
    "Sign in using:",
]

PLACEHOLDER = re.compile(r"%\((\w+)\)")


@pytest.fixture(scope="module")
def fab_msgids() -> dict[str, list[str]]:
    return check.extract_fab_msgids()


@pytest.fixture(scope="module")
def fab_translations():
    return check.load_translations(check.FAB_TRANSLATIONS)


@pytest.fixture(scope="module")
def app_catalog():
    return check.read_app_catalogue()


@pytest.fixture(scope="module")
def app_translations_dir(tmp_path_factory) -> Path:
    translations_dir = tmp_path_factory.mktemp("translations")
    check.compile_po(check.APP_PO, translations_dir)
    return translations_dir


@pytest.fixture(scope="module")
def app_translations(app_translations_dir):
    return check.load_translations(app_translations_dir)


@pytest.fixture(scope="module")
def merged(app_translations_dir):
    return check.merge_like_flask_babel([check.FAB_TRANSLATIONS, app_translations_dir])


# --- (a) coverage of FAB's msgids ---


def test_extraction_finds_fab_msgids(fab_msgids):
    assert len(fab_msgids) >= 150
    assert "Are you sure you want to delete this item?" in fab_msgids
    assert "Relation as Many" in fab_msgids
    # Only found with the lazy_formatter_gettext keyword.
    assert (
        "The user role on the application, this will associate with a list of permissions"
        in fab_msgids
    )


def test_every_fab_msgid_translated(fab_msgids, fab_translations, app_translations):
    untranslated = [
        f"{msgid!r} ({places[0]})"
        for msgid, places in fab_msgids.items()
        if not check.is_translated(fab_translations, msgid)
        and not check.is_translated(app_translations, msgid)
    ]
    assert untranslated == [], "add these to the app's zh messages.po"


def test_app_msgids_used_by_fab(fab_msgids, app_catalog):
    # A misspelt msgid would never override FAB's translation.
    unknown = [
        message.id
        for message in app_catalog
        if message.id
        and message.id not in fab_msgids
        and message.id not in NOT_EXTRACTED_FROM_FAB
    ]
    assert unknown == []


# --- (b) the merged catalogue that Flask-Babel serves ---


@pytest.mark.parametrize(
    ("msgid", "expected"),
    EXPECTED_TRANSLATIONS,
    ids=[msgid for msgid, _expected in EXPECTED_TRANSLATIONS],
)
def test_merged_translation(merged, msgid, expected):
    assert merged.gettext(msgid) == expected


def test_app_entries_override_fab(merged, app_catalog):
    wrong = [
        (message.id, merged.gettext(message.id), message.string)
        for message in app_catalog
        if message.id and merged.gettext(message.id) != message.string
    ]
    assert wrong == []


def test_action_terms_consistent(merged, fab_msgids):
    inconsistent = []
    for msgid in fab_msgids:
        verb = msgid.split(" ", 1)[0]
        if verb not in ACTION_TERMS or msgid in ACTION_TERM_EXCEPTIONS:
            continue
        translation = merged.gettext(msgid)
        if not translation.startswith(ACTION_TERMS[verb]):
            inconsistent.append((msgid, translation))
    assert inconsistent == []


@pytest.mark.parametrize("msgid", FOLLOWED_BY_COLON)
def test_no_colon_before_template_colon(merged, msgid):
    assert not merged.gettext(msgid).endswith((":", "："))


def test_load_rejects_missing_catalogue(tmp_path):
    with pytest.raises(FileNotFoundError, match="compiled catalogue not found"):
        check.load_translations(tmp_path)


# --- (c) the .po file itself ---


def test_po_header(app_catalog):
    assert str(app_catalog.locale) == "zh"
    assert app_catalog.num_plurals == 1
    assert app_catalog.plural_expr == "0"
    assert app_catalog.charset.lower() == "utf-8"
    assert not app_catalog.fuzzy


def test_po_has_no_fuzzy_entries(app_catalog):
    assert [message.id for message in app_catalog if message.id and message.fuzzy] == []


def test_po_has_no_empty_entries(app_catalog):
    assert [message.id for message in app_catalog if message.id and not message.string] == []


def test_po_has_no_obsolete_entries(app_catalog):
    assert list(app_catalog.obsolete) == []


def test_po_has_no_duplicate_msgids(app_catalog):
    # read_po keeps the last of two entries with the same msgid, while
    # msgfmt rejects the file, so count the msgid lines in the raw text.
    text = check.APP_PO.read_text(encoding="utf-8")
    msgid_lines = re.findall(r"^msgid ", text, flags=re.MULTILINE)
    assert len(msgid_lines) - 1 == len(app_catalog)


def test_po_keeps_placeholders(app_catalog):
    mismatched = [
        message.id
        for message in app_catalog
        if message.id
        and set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(message.string))
    ]
    assert mismatched == []


def test_po_passes_babel_checks(app_catalog):
    problems = [(message.id, errors) for message, errors in app_catalog.check()]
    assert problems == []


def test_po_has_no_ascii_quotes(app_catalog):
    # FAB's templates put translations such as the delete confirmation into
    # JavaScript string literals, where a quote or backslash breaks the script.
    quoted = [
        message.id
        for message in app_catalog
        if message.id and re.search(r"['\"\\]", message.string)
    ]
    assert quoted == []
