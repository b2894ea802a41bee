"""A small harness for the web app's browser journeys: headless Chromium through Selenium, a
session handed over from Django's test client, and finders that look for controls as a person
does (by label, button text, link text), never by CSS class or document structure.

Without Chromium the journeys are skipped, saying why; with REQUIRE_TEST_TOOLS=1 they fail instead.
"""

import base64

from django.conf import settings
from django.test import Client as DjangoClient
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from core.tests.browser import DESKTOP, SCREENSHOTS

NARROW = (390, 900)


def wait(driver, seconds: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, seconds, poll_frequency=0.1)


def sign_in(driver, base_url: str, user, language: str = "en") -> None:
    """Open a session for `user` in the browser (as the login page would) and choose the language."""
    client = DjangoClient()
    client.force_login(user)
    driver.get(f"{base_url}/accounts/login/")
    driver.delete_all_cookies()
    driver.add_cookie(
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    )
    driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language})


def _literal(text: str) -> str:
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", '\"', ".join(f'"{part}"' for part in text.split('"')) + ")"


def by_label(driver, text: str) -> WebElement:
    """The control whose visible <label> reads `text`."""
    labels = [
        label
        for label in driver.find_elements(By.XPATH, f"//label[normalize-space()={_literal(text)}]")
        if label.is_displayed()
    ]
    if not labels:
        raise NoSuchElementException(f"no visible label {text!r}")
    target = labels[0].get_attribute("for")
    if target:
        return driver.find_element(By.ID, target)
    return labels[0].find_element(By.XPATH, ".//input|.//select|.//textarea")


def button(driver, text: str, within: WebElement | None = None) -> WebElement:
    """The visible button that reads `text` (or is named so by aria-label)."""
    root = within or driver
    literal = _literal(text)
    found = [
        b
        for b in root.find_elements(By.XPATH, f".//button[normalize-space()={literal} or @aria-label={literal}]")
        if b.is_displayed()
    ]
    if not found:
        raise NoSuchElementException(f"no visible button {text!r}")
    return found[0]


def link(driver, text: str) -> WebElement:
    return driver.find_element(By.LINK_TEXT, text)


def row_with(driver, text: str) -> WebElement:
    """The visible table row that contains `text`."""
    rows = [r for r in driver.find_elements(By.XPATH, f"//tr[contains(., {_literal(text)})]") if r.is_displayed()]
    if not rows:
        raise NoSuchElementException(f"no visible row with {text!r}")
    return rows[0]


def table_cells(driver, caption: str) -> list[list[str]]:
    """The body rows of the table captioned `caption`, as the texts of their cells."""
    table = driver.find_element(By.XPATH, f"//table[caption[normalize-space()={_literal(caption)}]]")
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in table.find_elements(By.XPATH, "./tbody/tr")
        if row.is_displayed()
    ]


def page_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def type_into(element: WebElement, text: str) -> None:
    element.clear()
    element.send_keys(text)


def shoot(driver, name: str) -> None:
    """Screenshots of the page, desktop and narrow, into screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for size, suffix in ((DESKTOP, "desktop"), (NARROW, "narrow")):
        driver.set_window_size(*size)
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        (SCREENSHOTS / f"{name}-{suffix}.png").write_bytes(base64.b64decode(shot["data"]))
    driver.set_window_size(*DESKTOP)


def script_errors(driver) -> list[str]:
    """What the page logged as errors: a CSP refusal, an Alpine expression that failed..."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "/favicon.ico" not in entry["message"]
    ]
