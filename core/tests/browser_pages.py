"""A small harness for the web app's browser journeys: headless Chromium through Selenium, a
session handed over from Django's test client, and finders that look for controls as a person
does (by label, button text, link text), never by CSS class or document structure.

Without Chromium the journeys are skipped, saying why; with REQUIRE_TEST_TOOLS=1 they fail instead.
"""

import base64

from django.conf import settings
from django.test import Client as DjangoClient
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from core.tests.browser import DESKTOP, SCREENSHOTS

NARROW = (390, 900)


# How long a finder waits for what a person would wait for: the page's data to arrive, a form to
# appear. The pages render after their GraphQL answers, so a control is there only "soon".
FIND_SECONDS = 20


def wait(driver, seconds: float = 20) -> WebDriverWait:
    """A wait that polls through the page re-rendering (a stale element is tried again)."""
    return WebDriverWait(
        driver,
        seconds,
        poll_frequency=0.1,
        ignored_exceptions=[NoSuchElementException, StaleElementReferenceException],
    )


def _find(driver, look, what: str, seconds: float):
    """`look(driver)` until it returns something (as Testing Library's findBy*), else NoSuchElement."""
    try:
        return wait(driver, seconds).until(look)
    except TimeoutException:
        raise NoSuchElementException(f"no visible {what} after {seconds}s") from None


def sign_in(driver, base_url: str, user, language: str = "en") -> None:
    """Open a session for `user` in the browser (as the login page would) and choose the language.

    A signed-in user's own language wins over the cookie (core/middleware.py), so it is the
    user's too, as if they had picked it on their account page."""
    type(user).objects.filter(pk=user.pk).update(language=language)
    user.language = language
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


def by_label(driver, text: str, seconds: float = FIND_SECONDS) -> WebElement:
    """The control whose visible <label> reads `text`, once it is there."""

    def look(d):
        labels = [
            label
            for label in d.find_elements(By.XPATH, f"//label[normalize-space()={_literal(text)}]")
            if label.is_displayed()
        ]
        if not labels:
            return None
        target = labels[0].get_attribute("for")
        if target:
            return d.find_element(By.ID, target)
        return labels[0].find_element(By.XPATH, ".//input|.//select|.//textarea")

    return _find(driver, look, f"label {text!r}", seconds)


def button(driver, text: str, within: WebElement | None = None, seconds: float = FIND_SECONDS) -> WebElement:
    """The visible, enabled button that reads `text` (or is named so by aria-label), once it is there."""
    literal = _literal(text)

    def look(d):
        root = within or d
        found = [
            b
            for b in root.find_elements(By.XPATH, f".//button[normalize-space()={literal} or @aria-label={literal}]")
            if b.is_displayed() and b.is_enabled()
        ]
        return found[0] if found else None

    return _find(driver, look, f"button {text!r}", seconds)


def link(driver, text: str) -> WebElement:
    return driver.find_element(By.LINK_TEXT, text)


def row_with(driver, text: str) -> WebElement:
    """The visible table row that contains `text`."""
    rows = [r for r in driver.find_elements(By.XPATH, f"//tr[contains(., {_literal(text)})]") if r.is_displayed()]
    if not rows:
        raise NoSuchElementException(f"no visible row with {text!r}")
    return rows[0]


def table_cells(driver, caption: str) -> list[list[str]]:
    """The body rows of the table captioned `caption`, as the texts of their cells (read in one go
    in the page, so that a re-render between two reads cannot mix two versions of the table)."""
    return driver.execute_script(
        """
        const table = [...document.querySelectorAll('table')].find(
          (t) => t.caption && t.caption.textContent.replace(/\\s+/g, ' ').trim() === arguments[0]);
        if (!table) return [];
        return [...table.tBodies].flatMap((body) => [...body.rows])
          .filter((row) => row.getClientRects().length && getComputedStyle(row).display !== 'none')
          .map((row) => [...row.cells].filter((c) => c.tagName === 'TD').map((c) => c.innerText.trim()));
        """,
        caption,
    )


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
        # The whole page at the window's layout width. (captureBeyondViewport alone drops the
        # scroll bar, so the page lays out wider than the picture it is cut to: its right edge
        # went missing.)
        width, height = driver.execute_script(
            "return [document.documentElement.clientWidth, document.documentElement.scrollHeight]"
        )
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
        finally:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        (SCREENSHOTS / f"{name}-{suffix}.png").write_bytes(base64.b64decode(shot["data"]))
    driver.set_window_size(*DESKTOP)


def script_errors(driver) -> list[str]:
    """What the page logged as errors: a CSP refusal, an Alpine expression that failed..."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "/favicon.ico" not in entry["message"]
    ]
