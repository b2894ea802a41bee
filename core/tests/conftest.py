import pytest


def pytest_collection_modifyitems(items):
    from core.tests.test_browser_pages import FLAKY, KNOWN_GAPS

    for item in items:
        if item.module.__name__.endswith("test_browser_pages") and item.name in KNOWN_GAPS:
            item.add_marker(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[item.name]))
        if item.module.__name__.endswith("test_browser_pages") and item.name in FLAKY:
            item.add_marker(pytest.mark.xfail(strict=False, reason=FLAKY[item.name]))
