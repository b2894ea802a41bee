from accounts.tests.smtp import smtp_inbox  # noqa: F401 (a fixture for the tests here)
