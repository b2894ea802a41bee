"""The project's templates, read as source: a Django comment `{# ... #}` ends on its own line (one
that does not is printed on the page as it stands; a longer comment is {% comment %})."""

from pathlib import Path

from django.conf import settings

TEMPLATE_ROOTS = [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/templates")]


def templates() -> list[Path]:
    return sorted(path for root in TEMPLATE_ROOTS for path in root.rglob("*.html"))


def test_there_are_templates_to_read():
    assert len(templates()) > 20


def test_every_comment_ends_on_its_own_line():
    # when
    unclosed = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]

    # then
    assert unclosed == []
