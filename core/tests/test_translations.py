"""The translation catalogues: compiled in Python, committed current, complete for Russian; the
language switch remembers the choice."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from core.translations import Catalogue, catalogues

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_every_committed_mo_is_current_with_its_po():
    # given
    found = catalogues()

    # then
    assert [c.po.relative_to(settings.BASE_DIR).as_posix() for c in found][:1] == ["locale/ru/LC_MESSAGES/django.po"]
    stale = [str(c.mo) for c in found if not c.is_current()]
    assert stale == [], "stale .mo files: run `python manage.py compile_translations`"


def test_every_russian_message_is_translated_with_the_same_placeholders():
    for catalogue in catalogues():
        for entry in polib.pofile(str(catalogue.po)):
            translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            assert all(translations), entry.msgid
            assert "fuzzy" not in entry.flags, entry.msgid
            for text in translations:
                assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def test_django_reads_the_catalogue_compiled_in_python():
    # when
    with translation.override("ru"):
        found = [translation.gettext("Client not found."), translation.pgettext("mailing", "Started")]

    # then
    assert found == ["Клиент не найден.", "запущена"]


def _copy_locale(tmp_path: Path) -> Path:
    root = tmp_path / "locale"
    shutil.copytree(settings.BASE_DIR / "locale", root)
    js = polib.POFile()
    js.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "ru"}
    js.append(polib.POEntry(msgid="Save", msgstr="Сохранить"))
    js.save(str(root / "ru" / "LC_MESSAGES" / "djangojs.po"))
    return root


def test_the_command_compiles_both_domains_and_check_finds_a_stale_one(tmp_path, settings, capsys):
    # given: a djangojs catalogue never compiled
    root = _copy_locale(tmp_path)
    settings.LOCALE_PATHS = [root]
    with pytest.raises(CommandError, match=r"1 \.mo file"):
        call_command("compile_translations", "--check")

    # when
    call_command("compile_translations")
    call_command("compile_translations", "--check")

    # then
    js = Catalogue(root / "ru" / "LC_MESSAGES" / "djangojs.po")
    assert {entry.msgid: entry.msgstr for entry in polib.mofile(str(js.mo))} == {"Save": "Сохранить"}

    # and when a translation changes without recompiling
    po = polib.pofile(str(js.po))
    po.find("Save").msgstr = "Записать"
    po.save()

    # then
    assert not js.is_current()
    with pytest.raises(CommandError, match="stale"):
        call_command("compile_translations", "--check")


def test_compiling_twice_leaves_the_file_untouched(tmp_path, settings):
    # given
    settings.LOCALE_PATHS = [_copy_locale(tmp_path)]
    call_command("compile_translations")
    catalogue = catalogues()[0]

    # when / then
    assert catalogue.write() is False


@pytest.mark.django_db
def test_the_language_switch_sets_the_cookie_and_the_signed_in_users_profile(client, owner):
    # given
    client.force_login(owner)

    # when
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/blog/"})

    # then
    assert (response.status_code, response["Location"]) == (302, "/blog/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    owner.refresh_from_db()
    assert owner.language == "ru"


@pytest.mark.django_db
def test_the_language_switch_ignores_an_unknown_language(client, owner):
    # given
    client.force_login(owner)

    # when
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})

    # then
    owner.refresh_from_db()
    assert owner.language == "en"
