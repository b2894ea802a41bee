"""A new user's time zone is the browser's: the registration page sends it and the API keeps it."""

import pytest

from accounts.models import User
from accounts.tests.factories import PASSWORD
from core.tests.browser import Page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# The registration form's labels and button, as a person reads them.
FORM = {
    "en": {"Full name": "Full name", "E-mail": "E-mail", "Password": "Password", "Create": "Create the account"},
    "ru": {"Full name": "ФИО", "E-mail": "Email", "Password": "Пароль", "Create": "Создать учётную запись"},
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_registration_takes_the_browsers_time_zone(browser_factory, site, language):
    # given: a browser in Tokyo (a zone no test machine runs in by default, and never UTC)
    driver = browser_factory(language)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    page = Page(driver, site.url)
    page.open("/accounts/register/")
    assert driver.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone") == "Asia/Tokyo"

    # when: the form is filled in as a person would, without a word about zones
    words = FORM[language]
    email = f"kenji-{language}@example.com"
    page.fill(words["Full name"], "Kenji").fill(words["E-mail"], email).fill(words["Password"], PASSWORD)
    page.press(words["Create"])
    page.wait(lambda _: User.objects.filter(email=email).exists())

    # then
    assert User.objects.values_list("full_name", "time_zone", "language").get(email=email) == (
        "Kenji",
        "Asia/Tokyo",
        language,
    )
