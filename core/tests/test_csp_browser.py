"""Under the Content-Security-Policy, in a real browser: GraphiQL, an app page and the admin run
with no script refused (Chromium logs every CSP violation as an error)."""

import json
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By

from accounts.tests.factories import ManagerFactory
from core.tests.browser_pages import page_text, script_errors, sign_in, wait
from mailing.models import MailingStatus
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def csp_refusals(driver) -> list[str]:
    return [message for message in script_errors(driver) if "Content Security Policy" in message]


def test_graphiql_runs_a_query_with_no_csp_violation(browser, site):
    # given
    a = ClientFactory(email="a@x.org")
    MailingFactory(owner=a.owner, status=MailingStatus.STARTED, clients=[a])
    query = "{ homeStats { mailingsTotal mailingsActive uniqueClients } }"

    # when
    browser.get(f"{site.url}/graphql/?q={quote(query)}")
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-execute-button"))
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait(browser).until(lambda d: "uniqueClients" in d.find_element(By.CSS_SELECTOR, ".result-window").text)

    # then
    text = browser.find_element(By.CSS_SELECTOR, ".result-window").text
    answer = json.loads(text[text.index("{") : text.rindex("}") + 1])
    assert answer == {"data": {"homeStats": {"mailingsTotal": 1, "mailingsActive": 1, "uniqueClients": 1}}}
    assert csp_refusals(browser) == []
    assert script_errors(browser) == []


def test_an_app_page_and_the_admin_run_with_no_csp_violation(browser, site):
    # given: a manager (staff, superuser) with a mailing
    manager = ManagerFactory(email="boss@example.com", is_superuser=True)
    ann = ClientFactory(owner=manager, email="ann@example.org")
    mailing = MailingFactory(owner=manager, clients=[ann])
    sign_in(browser, site.url, manager)

    # when: the dashboard (Alpine, Chart.js), then a change form of the admin (its own scripts)
    browser.get(f"{site.url}/app/")
    wait(browser).until(
        lambda d: d.execute_script("const r = document.querySelector('[x-data]'); return !!(r && r._x_dataStack)")
    )
    dashboard_errors = script_errors(browser)
    browser.get(f"{site.url}/admin/mailing/mailing/{mailing.pk}/change/")
    wait(browser).until(lambda d: "ann@example.org" in d.find_element(By.TAG_NAME, "body").text or page_text(d))

    # then
    assert dashboard_errors == []
    assert csp_refusals(browser) == []
    assert script_errors(browser) == []
