"""The vendored Alpine CSP build, as scripts/vendor-static.sh changes it, in a real browser: it
still refuses an expression that reaches a global, whether the value is checked before its
reading of the globals (a few names a task) has ended or after; and Alpine.start() waits for that
reading, then walks the page."""

import pytest
from django.templatetags.static import static

from core.tests.browser_pages import wait

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Imports the page's Alpine (the same module instance as the page's own, if it has one), then at
# once, in the same task, evaluates each probe with a scope that holds the value. An evaluation
# that is refused gives undefined (Alpine reports the error apart, in a later task).
PROBE = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
import(url).then(({ default: Alpine }) => {
  const holder = { win: window, object: Object, fetch: window.fetch, math: Math, plain: { a: 1 }, list: [1, 2] };
  const scope = { holder };
  const result = {};
  for (const name of Object.keys(scope.holder)) {
    const value = Alpine.evaluate(document.body, `holder.${name}`, { scope });
    result[name] = value === scope.holder[name] ? "read" : value === undefined ? "refused" : "other";
  }
  done(result);
}, (error) => done({ error: String(error) }));
"""
EXPECTED = {
    "win": "refused",
    "object": "refused",
    "fetch": "refused",
    "math": "refused",
    "plain": "read",
    "list": "read",
}


def test_a_global_is_refused_at_the_first_evaluation_before_the_globals_are_all_read(browser, site):
    # given: a page without Alpine of its own (the login page)
    browser.get(f"{site.url}/accounts/login/")

    # when: Alpine is loaded and an expression evaluated in the task that evaluates the module
    result = browser.execute_async_script(PROBE, static("vendor/alpinejs/module.esm.min.js"))

    # then
    assert result == EXPECTED


def test_a_global_is_refused_after_the_page_has_started_and_start_waited_for_the_reading(browser, site):
    # given: a page whose Alpine started (its x-data root initialized)
    browser.get(f"{site.url}/accounts/login/")
    probe = '<div id="probe" x-data="{}"><span x-text="1 + 1"></span></div>'
    browser.execute_script("document.body.insertAdjacentHTML('beforeend', arguments[0])", probe)
    browser.set_script_timeout(10)
    started_at_once = browser.execute_async_script(
        """
        const [url, done] = arguments;
        import(url).then(({ default: Alpine }) => {
          Alpine.start();
          done(!!document.getElementById("probe")._x_dataStack);
        });
        """,
        static("vendor/alpinejs/module.esm.min.js"),
    )
    wait(browser).until(lambda d: d.execute_script("return document.querySelector('#probe span').textContent") == "2")

    # when
    result = browser.execute_async_script(PROBE, static("vendor/alpinejs/module.esm.min.js"))

    # then: start() returned before walking the page (it waits for the globals), and walked it after
    assert started_at_once is False
    assert result == EXPECTED
