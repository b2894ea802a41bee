"""The translation catalogues: each `locale/<lang>/LC_MESSAGES/<domain>.po` compiled to its `.mo`.

Compiled with polib, in Python, so that a machine without GNU gettext's msgfmt can build them.
Every domain found is handled (`django` for Python code and templates, `djangojs` for the pages'
scripts). The compiled files are committed; a test compares each with its catalogue.
"""

from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings


@dataclass(frozen=True)
class Catalogue:
    po: Path

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")

    def compile(self) -> bytes:
        """The .mo file's bytes: translated, non-fuzzy, non-obsolete entries and the header."""
        return polib.pofile(str(self.po)).to_binary()

    def is_current(self) -> bool:
        """Whether the committed .mo holds exactly the messages the .po compiles to."""
        if not self.mo.exists():
            return False
        return messages(polib.mofile(str(self.mo))) == messages(polib.mofile(self.compile()))

    def write(self) -> bool:
        """Write the .mo; return whether it changed."""
        compiled = self.compile()
        if self.mo.exists() and self.mo.read_bytes() == compiled:
            return False
        self.mo.write_bytes(compiled)
        return True


def messages(catalogue) -> dict:
    """A catalogue's messages: (context, id, plural id) -> translation(s), and its header."""
    entries = {
        (entry.msgctxt, entry.msgid, entry.msgid_plural): (
            tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
        )
        for entry in catalogue
    }
    entries["header"] = tuple(sorted(catalogue.metadata.items()))
    return entries


def catalogues(locale_paths=None) -> list[Catalogue]:
    """Every .po file under the project's LOCALE_PATHS, in a stable order."""
    found = []
    for root in locale_paths if locale_paths is not None else settings.LOCALE_PATHS:
        found.extend(Catalogue(po) for po in sorted(Path(root).glob("*/LC_MESSAGES/*.po")))
    return found
