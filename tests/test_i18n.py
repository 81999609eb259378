"""Translations: every UI string has a French translation, and the compiled catalog is current.

When one of these fails: run `scripts/i18n`, translate the entries it lists in
server/translations/fr/LC_MESSAGES/messages.po, then run `scripts/i18n` again to compile.

Extraction mirrors scripts/i18n (same babel.cfg, keywords and directory filter); the app is not
imported, so these tests need neither a database nor Redis.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "server" / "translations"
SCRIPT = ROOT / "scripts" / "i18n"
LOCALES = ("fr",)
HOW_TO_FIX = (
    "run scripts/i18n, translate these entries in server/translations/{locale}/LC_MESSAGES/messages.po, "
    "then run scripts/i18n again to compile"
)

# The same as in scripts/i18n (test_extraction_settings_match_the_script keeps them in step).
EXTRA_KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2", "lazy_npgettext:1c,2,3")
IGNORE_DIRS = (".*", "__pycache__", "node_modules")

# printf-style conversions as Python's % operator reads them: %(name)s, %s, %.1f; %% is a literal.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]"
)


def extract_messages(root: Path = ROOT) -> dict[tuple[str, str | None], list[str]]:
    """{(msgid, context): ["path:line", ...]} for every translatable string of the source tree."""
    with open(root / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(root / "babel.cfg"))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}

    def directory_filter(path: str) -> bool:
        return not any(fnmatch.fnmatch(os.path.basename(path), pattern) for pattern in IGNORE_DIRS)

    current = {"file": None}

    def note_file(filename: str, _method: str, _options: dict) -> None:
        current["file"] = filename

    found: dict[tuple[str, str | None], list[str]] = {}
    try:
        for filename, lineno, message, _comments, context in extract_from_dir(
            root,
            method_map,
            options_map,
            keywords=keywords,
            callback=note_file,
            directory_filter=directory_filter,
        ):
            msgid = message[0] if isinstance(message, (tuple, list)) else message
            if msgid:
                found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    except Exception as exc:  # a template syntax error, say: name the file
        raise AssertionError(f"cannot extract messages from {current['file']}: {exc}") from exc
    return found


def load_po(locale: str) -> Catalog:
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run scripts/i18n"
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def load_mo(locale: str) -> Catalog:
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run scripts/i18n to compile"
    with open(path, "rb") as f:
        return read_mo(f)


def strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def is_translated(message: Message | None) -> bool:
    return message is not None and not message.fuzzy and all(s and s.strip() for s in strings(message))


def untranslated(extracted: dict, catalog: Catalog) -> list[str]:
    """The extracted strings without a usable translation in `catalog`, one line each."""
    missing = []
    for (msgid, context), places in sorted(
        extracted.items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        message = catalog.get(msgid, context=context)
        if is_translated(message):
            continue
        why = "missing" if message is None else "fuzzy" if message.fuzzy else "empty"
        label = f"{msgid!r}" + (f" (context {context!r})" if context else "")
        missing.append(f"  {label}: {why}, in {', '.join(places)}")
    return missing


def compiled(catalog: Catalog) -> dict[tuple, tuple[str, ...]]:
    """What `pybabel compile` puts in the .mo: the translated, non-fuzzy messages (header aside)."""
    return {(ids(m)[0], m.context): strings(m) for m in catalog if m.id and any(strings(m)) and not m.fuzzy}


def placeholders(text: str) -> tuple[Counter, list[str]]:
    """Named placeholders (any order) and positional ones (in order); %% is not one."""
    named: Counter = Counter()
    positional: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) == "%%":
            continue
        if match.group("name") is not None:
            named[match.group(0)] += 1
        else:
            positional.append(match.group(0))
    return named, positional


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str, str | None], list[str]]:
    return extract_messages()


def test_extraction_finds_the_ui_text(extracted):
    # Python (gettext and lazy_gettext), server and admin templates: a broken babel.cfg finds nothing.
    for msgid in ("Wrong e-mail or password.", "Call-center agent", "Sign in", "Add a user"):
        assert (msgid, None) in extracted, f"{msgid!r} was not extracted: check babel.cfg"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_ui_string_is_translated(extracted, locale):
    missing = untranslated(extracted, load_po(locale))
    assert not missing, (
        f"{len(missing)} UI string(s) without a {locale} translation ({HOW_TO_FIX.format(locale=locale)}):\n"
        + "\n".join(missing)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_po(locale):
    po = compiled(load_po(locale))
    mo = compiled(load_mo(locale))
    stale = sorted(
        f"  {key[0]!r}: .po says {po.get(key)!r}, .mo says {mo.get(key)!r}"
        for key in po.keys() | mo.keys()
        if po.get(key) != mo.get(key)
    )
    assert not stale, (
        f"server/translations/{locale}/LC_MESSAGES/messages.mo is out of date with messages.po "
        f"(run scripts/i18n to compile):\n" + "\n".join(stale)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders(locale):
    wrong = []
    for message in load_po(locale):
        if not message.id:
            continue
        singular, *plural = ids(message)
        for index, string in enumerate(strings(message)):
            if not string:
                continue
            source = plural[0] if plural and index > 0 else singular
            expected, found = placeholders(source), placeholders(string)
            if expected != found:
                wrong.append(f"  {source!r} -> {string!r}")
    assert not wrong, (
        f"translations in server/translations/{locale}/LC_MESSAGES/messages.po must keep the "
        f"msgid's placeholders (%(name)s...) exactly:\n" + "\n".join(wrong)
    )


def test_extraction_settings_match_the_script():
    script = SCRIPT.read_text(encoding="utf-8")
    keywords = re.search(r"^KEYWORDS=\((.*)\)$", script, re.MULTILINE)
    ignore_dirs = re.search(r"^IGNORE_DIRS=(.*)$", script, re.MULTILINE)
    assert keywords and ignore_dirs, "scripts/i18n no longer defines KEYWORDS=(...) and IGNORE_DIRS=..."
    words = shlex.split(keywords.group(1))
    assert tuple(word for word in words if word != "-k") == EXTRA_KEYWORDS
    assert tuple(shlex.split(ignore_dirs.group(1))[0].split()) == IGNORE_DIRS
    assert os.access(SCRIPT, os.X_OK), "scripts/i18n must be executable"


# --- The checks above must be able to fail: exercised on copies, never on the real files. -------


def test_a_missing_translation_is_reported_by_name(extracted):
    catalog = load_po("fr")
    catalog.delete("Sign in")
    catalog["Sign out"].flags.add("fuzzy")
    missing = "\n".join(untranslated(extracted, catalog))
    assert "'Sign in': missing" in missing
    assert "'Sign out': fuzzy" in missing
    assert "login.html" in missing


def test_a_stale_mo_is_noticed():
    po = load_po("fr")
    po.get("Sign out").string = "Quitter"
    assert compiled(po) != compiled(load_mo("fr"))


def test_placeholder_changes_are_noticed():
    assert placeholders("Hello %(name)s") == placeholders("Bonjour %(name)s")
    assert placeholders("%(a)s and %(b)s") == placeholders("%(b)s et %(a)s")
    assert placeholders("100%% of %(name)s") == placeholders("100 %% de %(name)s")
    assert placeholders("Hello %(name)s") != placeholders("Bonjour %(nom)s")
    assert placeholders("Hello %(name)s") != placeholders("Bonjour")
    assert placeholders("%(n)d leads") != placeholders("%(n)s leads")
