"""The service in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`)
driven by Selenium against a live server. Screenshots of each page go to screenshots/."""

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import PASSWORD, ContentManagerFactory
from blog import services as blog_services
from blog.models import Post
from blog.tests.factories import PostFactory, picture
from core.tests.browser import SCREENSHOTS
from mailing.models import MailingStatus
from mailing.tests.factories import ClientFactory, MailingFactory


def _wait(driver, seconds=20):
    return WebDriverWait(driver, seconds)


def _shot(driver, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    return path


def _images_loaded(driver, css: str) -> list[bool]:
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(i => i.complete && i.naturalWidth > 0);", css
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_home_page_shows_the_figures_and_three_posts_with_pictures(browser, site):
    # given: 3 mailings, 1 active, 2 distinct recipient addresses; 4 published posts, 1 draft
    a = ClientFactory(email="a@x.org")
    b = ClientFactory(owner=a.owner, email="b@x.org")
    MailingFactory(owner=a.owner, status=MailingStatus.STARTED, clients=[a, b])
    MailingFactory(owner=a.owner, status=MailingStatus.FINISHED, clients=[a])
    MailingFactory(owner=a.owner, is_active=False)
    colors = ["teal", "orange", "purple", "crimson"]
    for n, color in enumerate(colors):
        blog_services.post_create(
            title=f"Post {n}", body="Text " * 40, image=picture(f"{color}.png", color=color), is_published=True
        )
    PostFactory(title="Secret draft", is_published=False)

    # when
    browser.get(f"{site.url}/")
    _wait(browser).until(ec.presence_of_element_located((By.ID, "stat-mailings-total")))
    shot = _shot(browser, "home")

    # then
    figures = [
        browser.find_element(By.ID, f"stat-{name}").text
        for name in ("mailings-total", "mailings-active", "unique-clients")
    ]
    assert figures == ["3", "1", "2"]
    cards = browser.find_elements(By.CSS_SELECTOR, "article.post-card")
    assert len(cards) == 3
    titles = [card.find_element(By.CSS_SELECTOR, ".card-title").text for card in cards]
    assert len(set(titles)) == 3
    assert set(titles) <= {f"Post {n}" for n in range(4)}
    assert _images_loaded(browser, "article.post-card img") == [True, True, True]
    # Bootstrap's stylesheet is served by the app (no CDN): the cards are laid out side by side.
    tops = {card.rect["y"] for card in cards}
    assert len(tops) == 1
    with Image.open(shot) as image:
        assert image.size[0] >= 1200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_graphiql_loads_offline_and_runs_a_query(browser, site):
    # given
    a = ClientFactory(email="a@x.org")
    MailingFactory(owner=a.owner, status=MailingStatus.STARTED, clients=[a])
    query = "{ homeStats { mailingsTotal mailingsActive uniqueClients } }"

    # when
    browser.get(f"{site.url}/graphql/?q={quote(query)}")
    run = _wait(browser).until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button")))
    run.click()
    _wait(browser).until(lambda driver: "uniqueClients" in driver.find_element(By.CSS_SELECTOR, ".result-window").text)
    _shot(browser, "graphiql")

    # then
    text = browser.find_element(By.CSS_SELECTOR, ".result-window").text
    answer = json.loads(text[text.index("{") : text.rindex("}") + 1])
    assert answer == {"data": {"homeStats": {"mailingsTotal": 1, "mailingsActive": 1, "uniqueClients": 1}}}
    elsewhere = browser.execute_script(
        "return performance.getEntriesByType('resource').filter(r => !r.name.startsWith(location.origin))"
        ".map(r => r.name);"
    )
    assert elsewhere == []  # every script and stylesheet came from this server


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_content_manager_logs_in_and_publishes_a_post_with_an_image(browser, site, tmp_path):
    # given
    editor = ContentManagerFactory(email="editor@example.com")
    upload = tmp_path / "harbour.png"
    upload.write_bytes(picture(size=(1000, 700), color="navy").read())

    # when: log in
    browser.get(f"{site.url}/admin/")
    browser.find_element(By.NAME, "username").send_keys(editor.email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _shot(browser, "admin-login")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait(browser).until(ec.presence_of_element_located((By.ID, "content-main")))
    _shot(browser, "admin-index")
    apps = [a.get_attribute("textContent") for a in browser.find_elements(By.CSS_SELECTOR, "#content-main caption a")]

    # when: write a draft with a picture
    browser.get(f"{site.url}/admin/blog/post/add/")
    browser.find_element(By.NAME, "title").send_keys("Harbour lights")
    browser.find_element(By.NAME, "body").send_keys("Boats, and the evening.")
    browser.find_element(By.NAME, "image").send_keys(str(upload))
    _shot(browser, "admin-post-add")
    browser.find_element(By.NAME, "_save").click()
    _wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#result_list")))

    # when: publish it with the bulk action
    post = Post.objects.get(title="Harbour lights")
    browser.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{post.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("publish")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    _wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    _shot(browser, "admin-post-published")
    message = browser.find_element(By.CSS_SELECTOR, ".messagelist .success").text
    # The click does not wait for the next page's images, as a page load would.
    listed = "#result_list .field-list_thumbnail img"
    thumbnails = _wait(browser).until(lambda d: (found := _images_loaded(d, listed)) and all(found) and found)

    # then
    assert apps == ["Blog"]
    assert message == "1 post(s) published."
    post.refresh_from_db()
    assert post.is_published is True
    assert post.image.name.endswith(".png")
    assert thumbnails == [True]

    # when: a reader opens it
    browser.get(f"{site.url}/blog/{post.pk}/")
    _wait(browser).until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    _shot(browser, "post-page")

    # then
    assert browser.find_element(By.TAG_NAME, "h1").text == "Harbour lights"
    assert _images_loaded(browser, "article img") == [True]
    assert Post.objects.get(pk=post.pk).view_count == 1
