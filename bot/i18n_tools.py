"""Maintain the catalogues: extract msgids per feature domain, update .po files, check them."""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from bot.i18n import LOCALES_DIR, SUPPORTED_LOCALES, placeholders

ROOT = LOCALES_DIR.parent
KEYWORDS = {"_": None, "plain": None, "ngettext": (1, 2), "N_": None}
SOURCE_GLOBS = ("bot/*.py", "bot/services/*.py", "handlers/*.py")
# One catalogue per feature so features are translated (and merged) independently;
# a file belongs to the first domain whose pattern matches, "core" takes the rest.
DOMAINS: dict[str, tuple[str, ...]] = {
    "core": (),
    "teams": ("handlers/teams*.py",),
    "meetings": ("handlers/meetings*.py",),
    "polls": ("handlers/polls*.py", "handlers/proposals*.py"),
    "stats": ("handlers/stats*.py",),
    "contest": ("handlers/committee*.py", "handlers/contest*.py"),
}


def domain_of(relpath: str) -> str:
    """The catalogue a source file's messages belong to."""
    for domain, patterns in DOMAINS.items():
        if any(fnmatch.fnmatch(relpath, p) for p in patterns):
            return domain
    return "core"


def source_files() -> Iterator[Path]:
    """Every Python file that may contain user-visible text."""
    for pattern in SOURCE_GLOBS:
        yield from sorted(ROOT.glob(pattern))


def extract(domain: str) -> Catalog:
    """Build the template catalogue of one domain from the code."""
    template = Catalog(project="courtyard-bot", version="1", charset="utf-8")
    for path in source_files():
        rel = path.relative_to(ROOT).as_posix()
        if domain_of(rel) != domain:
            continue
        for lineno, message, comments, context in extract_from_file(
            "python", str(path), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            template.add(message, locations=[(rel, lineno)], auto_comments=comments, context=context)
    return template


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False, omit_header=False)


def domains() -> list[str]:
    """Every domain name."""
    return list(DOMAINS)


def pot_path(domain: str) -> Path:
    """Where a domain's template lives."""
    return LOCALES_DIR / f"{domain}.pot"


def po_path(locale: str, domain: str) -> Path:
    """Where a domain's translations for a locale live."""
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def write_templates() -> None:
    """Write every domain's .pot from the code."""
    for domain in domains():
        _write(pot_path(domain), extract(domain))


def update_catalogues() -> None:
    """Bring every .po in line with its template, keeping translations."""
    for domain in domains():
        template = extract(domain)
        _write(pot_path(domain), template)
        for locale in SUPPORTED_LOCALES:
            path = po_path(locale, domain)
            catalog = _read(path, locale) if path.exists() else Catalog(locale=locale)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            _write(path, catalog)


def problems() -> list[str]:
    """Everything wrong with the catalogues: stale templates, missing or mismatched zh_CN translations."""
    found: list[str] = []
    for domain in domains():
        template = extract(domain)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
        pot = pot_path(domain)
        if not pot.exists():
            found.append(f"{pot.name}: missing (run: courtyard-bot i18n update)")
        else:
            stored = {m.id if isinstance(m.id, str) else m.id[0] for m in _read(pot) if m.id}
            if stored != ids:
                found.append(f"{pot.name}: out of date with the code (run: courtyard-bot i18n update)")
        for locale in SUPPORTED_LOCALES:
            path = po_path(locale, domain)
            if not path.exists():
                found.append(f"{path.relative_to(ROOT)}: missing")
                continue
            catalog = _read(path, locale)
            for message in template:
                if not message.id:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                entry = catalog.get(message.id)
                if entry is None:
                    found.append(f"{path.relative_to(ROOT)}: no entry for {key!r}")
                    continue
                strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
                if locale == "zh_CN" and (entry.fuzzy or not all(strings)):
                    found.append(f"{path.relative_to(ROOT)}: untranslated {key!r}")
                    continue
                wanted = placeholders(key)
                for text in strings:
                    if isinstance(text, str) and text and placeholders(text) != wanted:
                        found.append(f"{path.relative_to(ROOT)}: placeholders differ in {key!r}")
    found.extend(conflicts())
    return found


def conflicts() -> list[str]:
    """Messages translated differently in two domains (all domains merge into one catalogue)."""
    seen: dict[tuple[str, str], tuple[str, object]] = {}
    found: list[str] = []
    for locale in SUPPORTED_LOCALES:
        for domain in domains():
            path = po_path(locale, domain)
            if not path.exists():
                continue
            for message in _read(path, locale):
                if not message.id or not message.string:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                earlier = seen.setdefault((locale, key), (domain, message.string))
                if earlier[1] != message.string:
                    found.append(f"{locale}: {key!r} is translated differently in {earlier[0]} and {domain}")
    return found


def main(action: str) -> int:
    """CLI: extract | update | check."""
    if action == "extract":
        write_templates()
        return 0
    if action == "update":
        update_catalogues()
        return 0
    issues = problems()
    for line in issues:
        print(line, file=sys.stderr)
    return 1 if issues else 0
