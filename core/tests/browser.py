"""The browser-test harness shared by every app's browser tests.

- `browser`: headless Chromium (Debian's `chromium` and `chromium-driver`) through Selenium. When
  they are missing the test is skipped, saying why; with REQUIRE_TEST_TOOLS=1 (CI) it fails.
- `site`: the live server, with media served and the cache empty.
- `Page`: finds controls as a person does (by label, button text, link text), never by CSS
  class or document structure; saves screenshots into screenshots/ (git-ignored).
- `assert_accessible(driver)`: axe-core (vendored for the tests only) finds no serious or
  critical violation on the page.
"""

import json
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from core.tests.tools import require_tools

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DESKTOP = (1280, 1000)
NARROW = (390, 844)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
]


def start_chromium(profile: Path, language: str = "en") -> webdriver.Chrome:
    """Debian's Chromium, headless, with the page's console kept for the tests to read; skips (or
    fails, with REQUIRE_TEST_TOOLS=1) when it is not installed."""
    require_tools(
        CHROMIUM, CHROMEDRIVER, purpose="the browser tests", install="apt-get install chromium chromium-driver"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}", f"--lang={language}"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(exist_ok=True)
    return driver


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path / "chromium-profile")
    yield driver
    driver.quit()


@pytest.fixture
def browser_factory(tmp_path):
    """Start browsers with a given Accept-Language (`browser_factory("ru")`); all quit at the end."""
    drivers = []

    def start(language: str = "en") -> webdriver.Chrome:
        driver = start_chromium(tmp_path / f"chromium-profile-{len(drivers)}", language)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


@pytest.fixture
def site(settings, live_server):
    settings.SERVE_MEDIA = True
    cache.clear()
    yield live_server
    cache.clear()


# The accessible name of an element, close enough to the browser's for buttons and links: its
# aria-label, else its text (or an input button's value), whitespace collapsed.
_NAME_JS = """
const name = (el) => (el.getAttribute('aria-label') || el.innerText || el.value || '').replace(/\\s+/g, ' ').trim();
const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
"""


class Page:
    """A page as a person sees it. Each finder waits until exactly one visible match appears."""

    def __init__(self, driver: webdriver.Chrome, base_url: str = "", timeout: float = 20):
        self.driver = driver
        self.base_url = base_url
        self.timeout = timeout

    def wait(self, condition, timeout: float | None = None):
        return WebDriverWait(
            self.driver, timeout or self.timeout, ignored_exceptions=[StaleElementReferenceException]
        ).until(condition)

    def open(self, path: str) -> "Page":
        self.driver.get(f"{self.base_url}{path}")
        return self

    def _one(self, script: str, text: str, what: str) -> WebElement:
        found: list = []

        def single(driver):
            found[:] = driver.execute_script(_NAME_JS + script, text)
            return found[0] if len(found) == 1 else None

        try:
            return self.wait(single)
        except Exception:
            raise AssertionError(
                f"expected one visible {what} {text!r}, found {len(found)}; the page says: {self.text()[:800]!r}"
            ) from None

    def field(self, label: str) -> WebElement:
        """The form control whose <label> reads `label` (as getByLabelText)."""
        return self._one(
            "return [...document.querySelectorAll('label')]"
            ".filter(l => name(l) === arguments[0] && l.control && visible(l.control)).map(l => l.control);",
            label,
            "control labelled",
        )

    def button(self, text: str) -> WebElement:
        return self._one(
            "return [...document.querySelectorAll('button, input[type=submit], input[type=button], [role=button]')]"
            ".filter(b => visible(b) && name(b) === arguments[0]);",
            text,
            "button",
        )

    def link(self, text: str) -> WebElement:
        return self._one(
            "return [...document.querySelectorAll('a[href]')].filter(a => visible(a) && name(a) === arguments[0]);",
            text,
            "link",
        )

    def heading(self, text: str) -> WebElement:
        return self._one(
            "return [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')]"
            ".filter(h => visible(h) && name(h) === arguments[0]);",
            text,
            "heading",
        )

    def fill(self, label: str, value: str) -> "Page":
        control = self.field(label)
        control.clear()
        control.send_keys(value)
        return self

    def choose(self, label: str, option_text: str) -> "Page":
        Select(self.field(label)).select_by_visible_text(option_text)
        return self

    def press(self, text: str) -> "Page":
        self.button(text).click()
        return self

    def follow(self, text: str) -> "Page":
        self.link(text).click()
        return self

    def text(self) -> str:
        return " ".join(self.driver.find_element("tag name", "body").text.split())

    def wait_for_text(self, text: str, timeout: float | None = None) -> "Page":
        try:
            self.wait(lambda _: text in self.text(), timeout)
        except Exception:
            raise AssertionError(f"{text!r} never appeared; the page says: {self.text()[:800]!r}") from None
        return self

    def errors_of(self, label: str) -> str:
        """The error message tied to a field by aria-describedby (empty when it has none)."""
        control = self.field(label)
        ids = (control.get_attribute("aria-describedby") or "").split()
        texts = [self.driver.find_element("id", i).text for i in ids if i.endswith("-error")]
        return " ".join(texts)

    def shot(self, name: str) -> list[Path]:
        """Screenshots of the page at desktop and narrow widths, named after the page's language."""
        language = self.driver.execute_script("return document.documentElement.lang") or "xx"
        paths = []
        for suffix, (width, height) in (("", DESKTOP), ("-narrow", NARROW)):
            self.driver.set_window_size(width, height)
            path = SCREENSHOTS / f"{name}-{language}{suffix}.png"
            assert self.driver.save_screenshot(str(path)), path
            paths.append(path)
        self.driver.set_window_size(*DESKTOP)
        return paths


def axe_violations(driver: webdriver.Chrome, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page; its violations of the given impacts, in short."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done({error: String(e)}));"
    )
    if isinstance(result, dict) and "error" in result:
        raise AssertionError(f"axe-core failed: {result['error']}")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in impacts
    ]


def assert_accessible(driver: webdriver.Chrome) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    violations = axe_violations(driver)
    assert violations == [], f"{driver.current_url}:\n{json.dumps(violations, indent=1, ensure_ascii=False)}"


def chromium_available() -> bool:
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))
