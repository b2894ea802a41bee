"""Each page of the web app loads its data in at most 3 GraphQL requests: counted in a real
browser, request by request, with what each sent (`core/tests/page_loads.py` lists them; the
page-speed bench sends the same documents)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import ManagerFactory, UserFactory
from core.tests.browser_pages import script_errors, sign_in
from core.tests.page_loads import MAX_REQUESTS, PAGES
from graphql_schema.tests.helpers import gid
from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, RunStatus
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Runs in the page before its own scripts (a DevTools script, so the page's CSP does not apply):
# every request to /graphql/ is logged with its operation, document and variables.
RECORDER = """
(() => {
  const log = [];
  window.__graphqlLog = log;
  const send = window.fetch.bind(window);
  window.fetch = (input, init = {}) => {
    const url = new URL(typeof input === "string" ? input : input.url, location.href);
    if (url.pathname !== "/graphql/") return send(input, init);
    let body = {};
    try { body = JSON.parse(init.body); } catch (error) {}
    const entry = { operation: body.operationName, query: body.query, variables: body.variables, done: false };
    log.push(entry);
    return send(input, init).finally(() => { entry.done = true; entry.at = performance.now(); });
  };
})();
"""
# Loaded: at least one request, all answered, and nothing more asked for a second and a half.
SETTLED = """
const log = window.__graphqlLog || [];
if (!log.length || !log.every((e) => e.done)) return false;
return performance.now() - Math.max(...log.map((e) => e.at)) > 1500;
"""
SENT = "return window.__graphqlLog.map((e) => [e.operation, e.query, e.variables || {}]);"
# Every request the page made to /graphql/ by any means, as the browser's resource timing saw it.
FETCHED = (
    "return performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/graphql/').length;"
)


def _seed():
    owner = UserFactory(email="owner@example.com", full_name="Olga Owner", time_zone="Europe/Moscow")
    clients = [ClientFactory(owner=owner, email=f"c{n}@example.org") for n in range(3)]
    start = timezone.now() - timedelta(days=2)
    mailing = MailingFactory(owner=owner, clients=clients, start_at=start, end_at=start + timedelta(days=30))
    # A closed run (nothing is polled once every run is closed) with its log.
    run = MailingRun.objects.create(
        mailing=mailing,
        scheduled_for=start,
        status=RunStatus.FINISHED,
        started_at=start,
        finished_at=start + timedelta(minutes=1),
        total_count=3,
        sent_count=3,
        failed_count=0,
        skipped_count=0,
        bounced_count=0,
    )
    for client in clients:
        DeliveryAttempt.objects.create(
            run=run, client=client, email=client.email, status=DeliveryStatus.SENT, attempts=1, smtp_code=250
        )
    return owner, ManagerFactory(email="manager@example.com"), mailing


def test_each_page_loads_its_data_in_at_most_three_requests(browser, live_server):
    # given
    owner, manager, mailing = _seed()
    mailing_id = gid("Mailing", mailing.pk)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    sent, fetched, documents, errors = {}, {}, {}, {}

    # when: each page is opened and left to load
    for signed_in in (owner, manager):
        sign_in(browser, live_server.url, signed_in)
        for page in [p for p in PAGES if p.manager == (signed_in is manager)]:
            browser.get(f"{live_server.url}{page.url(mailing_id)}")
            try:
                WebDriverWait(browser, 20).until(lambda driver: driver.execute_script(SETTLED))
            except Exception:
                raise AssertionError(f"{page.name} did not settle: {script_errors(browser)}") from None
            requests = browser.execute_script(SENT)
            sent[page.name] = [(operation, variables) for operation, _, variables in requests]
            documents[page.name] = {operation: query for operation, query, _ in requests}
            fetched[page.name] = browser.execute_script(FETCHED)
            errors[page.name] = script_errors(browser)

    # then: the requests are the listed ones, with the documents of the page's module
    assert sent == {page.name: page.sent(mailing_id) for page in PAGES}
    assert all(len(requests) <= MAX_REQUESTS for requests in sent.values())
    assert fetched == {page.name: len(page.requests) for page in PAGES}
    assert documents == {page.name: page.documents() for page in PAGES}
    assert errors == {page.name: [] for page in PAGES}
