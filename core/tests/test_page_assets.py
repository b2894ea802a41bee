"""How a page's own files reach the browser: hashed names for every module (imports included),
each module's imports preloaded, a versioned translation catalogue, and compressed text."""

import gzip
import json
import re

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory

from core.catalog import catalog_version
from mailing.tests.factories import ClientFactory

IMPORTS = re.compile(r"""^import [^;]*? from "([^"]+)";""", re.M)


@pytest.fixture
def collected(settings, tmp_path):
    """collectstatic with the production storage into a fresh folder; its manifest's paths."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "core.storage.StaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    return tmp_path, json.loads((tmp_path / "staticfiles.json").read_text())["paths"]


def test_collectstatic_rewrites_the_app_modules_imports_to_hashed_names(collected):
    # given
    root, paths = collected

    # when
    clients = (root / paths["app/clients.js"]).read_text()
    ui = (root / paths["app/ui.js"]).read_text()

    # then
    assert IMPORTS.findall(clients) == [
        "../" + paths["vendor/alpinejs/module.esm.min.js"],
        "./" + paths["app/api.js"].removeprefix("app/"),
        "./" + paths["app/ui.js"].removeprefix("app/"),
    ]
    assert IMPORTS.findall(ui) == ["./" + paths["app/api.js"].removeprefix("app/")]
    assert re.fullmatch(r"app/api\.[0-9a-f]{12}\.js", paths["app/api.js"])


def test_collectstatic_leaves_the_vendored_bundles_as_they_are(collected):
    # given
    root, paths = collected

    # then
    for name in ("vendor/alpinejs/module.esm.min.js", "vendor/chartjs/chart.umd.min.js"):
        assert (root / paths[name]).read_bytes() == (root / name).read_bytes()


def test_every_app_module_import_names_a_collected_file(collected):
    # given
    root, paths = collected
    hashed = set(paths.values())

    # when
    missing = [
        (name, target)
        for name, path in paths.items()
        if name.startswith("app/") and name.endswith(".js")
        for target in IMPORTS.findall((root / path).read_text())
        if _resolve(path, target) not in hashed
    ]

    # then
    assert missing == []


def _resolve(path: str, target: str) -> str:
    parts = path.split("/")[:-1]
    for part in target.split("/"):
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def test_module_script_preloads_every_module_the_page_imports(settings):
    # given
    settings.DEBUG = False
    template = Template('{% load scripts %}{% module_script "app/clients.js" %}')

    # when
    html = template.render(Context())

    # then
    assert html == (
        '<link rel="modulepreload" href="/static/vendor/alpinejs/module.esm.min.js">\n'
        '<link rel="modulepreload" href="/static/app/api.js">\n'
        '<link rel="modulepreload" href="/static/app/ui.js">\n'
        '<script type="module" src="/static/app/clients.js"></script>'
    )


def test_module_script_follows_imports_of_imports_once_each():
    # given
    template = Template('{% load scripts %}{% module_script "app/login.js" %}')

    # when
    html = template.render(Context())

    # then
    assert re.findall(r'href="([^"]+)"', html) == ["/static/app/api.js", "/static/app/forms.js"]


@pytest.mark.parametrize("path", ["/app/", "/app/clients/", "/app/mailings/", "/accounts/login/"])
def test_a_page_loads_its_scripts_from_the_head(client, owner, path):
    # given
    client.force_login(owner)

    # when
    html = client.get(path).content.decode()

    # then
    head, body = html.split("</head>")
    assert '<script type="module"' in head
    assert "<script" not in body


def test_a_page_loads_the_catalogue_of_its_language_at_a_versioned_address(client, owner):
    # given
    owner.language = "ru"
    owner.save(update_fields=["language"])
    client.force_login(owner)
    version = catalog_version(RequestFactory().get("/"), "ru")

    # when
    html = client.get("/app/clients/").content.decode()

    # then
    assert f'<script src="/jsi18n/ru/{version}.js" defer></script>' in html
    assert re.fullmatch(r"[0-9a-f]{12}", version)


def test_the_versioned_catalogue_is_cached_for_a_year(client, db):
    # given
    version = catalog_version(RequestFactory().get("/"), "ru")

    # when
    response = client.get(f"/jsi18n/ru/{version}.js")

    # then
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert '"%s рассылка"'.encode("unicode_escape") in response.content


def test_a_stale_catalogue_version_gets_the_current_text_uncached(client, db):
    # given
    current = client.get(f"/jsi18n/ru/{catalog_version(RequestFactory().get('/'), 'ru')}.js")

    # when
    response = client.get("/jsi18n/ru/000000000000.js")

    # then
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-cache"
    assert response.content == current.content


def test_the_catalogue_of_each_language_differs_and_an_unknown_one_is_not_found(client, db):
    # when
    ru = catalog_version(RequestFactory().get("/"), "ru")
    en = catalog_version(RequestFactory().get("/"), "en")
    unknown = client.get("/jsi18n/xx/000000000000.js")

    # then
    assert ru != en
    assert unknown.status_code == 404


def test_pages_and_api_answers_are_compressed_for_a_browser_that_asks(client, owner):
    # given
    client.force_login(owner)
    emails = sorted(row.email for row in ClientFactory.create_batch(20, owner=owner))
    query = "{ clients(first: 20) { edges { node { email } } } }"

    # when
    page = client.get("/app/clients/", headers={"accept-encoding": "gzip, br"})
    api = client.post(
        "/graphql/", {"query": query}, content_type="application/json", headers={"accept-encoding": "gzip"}
    )
    plain = client.get("/app/clients/")

    # then
    assert page["Content-Encoding"] == "gzip"
    assert b'id="main"' in gzip.decompress(page.content)
    assert api["Content-Encoding"] == "gzip"
    edges = json.loads(gzip.decompress(api.content))["data"]["clients"]["edges"]
    assert sorted(edge["node"]["email"] for edge in edges) == emails
    assert not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in page["Vary"]


def test_an_image_is_not_compressed_again(client, settings, tmp_path):
    # given
    settings.SERVE_MEDIA = True
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(1000))

    # when
    response = client.get("/media/picture.png", headers={"accept-encoding": "gzip"})

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert not response.has_header("Content-Encoding")
