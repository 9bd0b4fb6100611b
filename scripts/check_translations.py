"""Check that every msgid Flask-AppBuilder shows has a Simplified-Chinese translation.

FAB's BabelManager sets BABEL_TRANSLATION_DIRECTORIES to FAB's folder followed
by the app's, and Flask-Babel 4 merges the catalogues in that order. A msgid in
the app's zh catalogue therefore overrides FAB's zh translation, and the app's
catalogue fills the msgids that FAB's zh catalogue lacks (FAB 5.3's zh .mo
leaves 26 of the 155 msgids that FAB 5.3 uses untranslated).

Run from the project root:

    .venv/bin/python scripts/check_translations.py
    .venv/bin/python scripts/check_translations.py --write-missing /tmp/missing.po

The exit status is 1 when some FAB msgid is translated by neither catalogue.
tests/test_translations.py imports the helpers below.
"""

from __future__ import annotations

import argparse
import gettext
import sys
import tempfile
from pathlib import Path

import flask_appbuilder
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
APP_PO = PROJECT_ROOT / "app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
FAB_DIR = Path(flask_appbuilder.__file__).resolve().parent
FAB_TRANSLATIONS = FAB_DIR / "translations"
LOCALE = "zh"
DOMAIN = "messages"

# FAB 5.3 calls these besides Babel's defaults (`_`, `gettext`, ...):
# `lazy_gettext` in views and forms, `__` in menu.py and
# `lazy_formatter_gettext` for two field descriptions in security/views.py.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "lazy_gettext": None,
    "__": None,
    "lazy_formatter_gettext": None,
}


def extract_fab_msgids(mapping_path: Path = BABEL_CFG) -> dict[str, list[str]]:
    """Extract FAB's msgids, each with the "file:line" places that use it.

    The mapping comes from the project's babel.cfg, so this is what
    `pybabel extract -F babel.cfg` with KEYWORDS finds in FAB's package.
    """
    with open(mapping_path, encoding="utf-8") as mapping_file:
        method_map, options_map = parse_mapping_cfg(mapping_file, str(mapping_path))

    places: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(FAB_DIR), method_map, options_map, keywords=KEYWORDS
    ):
        # FAB 5.3 has no plural calls. A tuple would be (singular, plural),
        # and the singular is the key that a checker looks up.
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            places.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return places


def load_translations(directory: Path) -> Translations:
    """Load the zh catalogue from a translations folder, as Flask-Babel does.

    Raises FileNotFoundError when the folder has no compiled zh catalogue,
    because babel.support.Translations.load would return an empty
    NullTranslations and every lookup would silently fall back to English.
    """
    translations = Translations.load(str(directory), [LOCALE], DOMAIN)
    if not isinstance(translations, gettext.GNUTranslations):
        raise FileNotFoundError(
            f"compiled catalogue not found: {directory}/{LOCALE}/LC_MESSAGES/{DOMAIN}.mo. "
            "Run `make translations` or compile_po() first."
        )
    return translations


def read_app_catalogue(po_path: Path = APP_PO) -> Catalog:
    """Parse the app's zh .po, raising on a syntax error."""
    with open(po_path, "rb") as po_file:
        return read_po(po_file, locale=LOCALE, domain=DOMAIN, abort_invalid=True)


def compile_po(po_path: Path, translations_dir: Path) -> Path:
    """Compile a zh .po into <translations_dir>/zh/LC_MESSAGES/messages.mo.

    Fuzzy entries are included, as `pybabel compile --use-fuzzy` in the
    Makefile includes them.
    """
    catalog = read_app_catalogue(po_path)
    mo_path = translations_dir / LOCALE / "LC_MESSAGES" / f"{DOMAIN}.mo"
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    with open(mo_path, "wb") as mo_file:
        write_mo(mo_file, catalog, use_fuzzy=True)
    return mo_path


def merge_like_flask_babel(directories: list[Path]) -> Translations:
    """Merge the zh catalogues of several folders, later ones over earlier ones.

    This repeats Flask-Babel 4.0's Domain.get_translations: it starts from an
    empty Translations and calls merge() with each folder's catalogue in the
    order of BABEL_TRANSLATION_DIRECTORIES.
    """
    merged = Translations()
    for directory in directories:
        catalogue = load_translations(directory)
        merged.merge(catalogue)
        if hasattr(catalogue, "plural"):
            merged.plural = catalogue.plural
    return merged


def is_translated(translations: gettext.GNUTranslations, msgid: str) -> bool:
    """Return whether a compiled catalogue contains a non-empty msgstr for msgid.

    `_catalog` is the msgid-to-msgstr dict of gettext.GNUTranslations. It is
    read directly because gettext() cannot tell a missing msgid from one whose
    translation equals the msgid.
    """
    return bool(translations._catalog.get(msgid))


def _write_missing(path: Path, missing: list[str], places: dict[str, list[str]]) -> None:
    catalog = Catalog(locale=LOCALE, domain=DOMAIN)
    for msgid in missing:
        locations = [tuple(place.rsplit(":", 1)) for place in places[msgid]]
        catalog.add(msgid, "", locations=[(name, int(line)) for name, line in locations])
    with open(path, "wb") as po_file:
        write_po(po_file, catalog, omit_header=True, width=79)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write-missing",
        type=Path,
        metavar="FILE",
        help="write the FAB msgids that neither catalogue translates to FILE "
        "as .po entries with empty msgstr, ready to translate",
    )
    args = parser.parse_args(argv)

    places = extract_fab_msgids()
    fab = load_translations(FAB_TRANSLATIONS)
    app_catalog = read_app_catalogue()
    app_entries = {message.id: message.string for message in app_catalog if message.id}

    with tempfile.TemporaryDirectory() as tmp:
        compile_po(APP_PO, Path(tmp))
        merged = merge_like_flask_babel([FAB_TRANSLATIONS, Path(tmp)])

    fab_lacks = sorted(msgid for msgid in places if not is_translated(fab, msgid))
    added = sorted(msgid for msgid in app_entries if not is_translated(fab, msgid))
    overridden = sorted(
        msgid
        for msgid in app_entries
        if is_translated(fab, msgid) and fab.gettext(msgid) != app_entries[msgid]
    )
    same_as_fab = sorted(
        msgid
        for msgid in app_entries
        if is_translated(fab, msgid) and fab.gettext(msgid) == app_entries[msgid]
    )
    unused = sorted(msgid for msgid in app_entries if msgid not in places)
    missing = sorted(msgid for msgid in places if not is_translated(merged, msgid))

    print(f"FAB msgids extracted:             {len(places)}")
    print(f"  not translated by FAB's zh .mo: {len(fab_lacks)}")
    print(f"App zh entries:                   {len(app_entries)}")
    print(f"  added (FAB's zh lacks them):    {len(added)}")
    print(f"  overriding FAB's zh:            {len(overridden)}")
    print(f"  identical to FAB's zh:          {len(same_as_fab)}")
    print(f"  msgids FAB's extraction lacks:  {len(unused)}")
    for msgid in unused:
        print(f"    {msgid!r}")
    print(f"FAB msgids still untranslated:    {len(missing)}")
    for msgid in missing:
        print(f"    {msgid!r}  ({', '.join(places[msgid])})")

    if args.write_missing:
        _write_missing(args.write_missing, missing, places)
        print(f"Wrote {len(missing)} entries to {args.write_missing}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
