"""Tests that need a program of the machine (a browser, an IMAP server): skipped, saying why,
where it is missing, so that `make test` passes with Python alone; with REQUIRE_TEST_TOOLS=1
(CI sets it) a missing program fails the test instead, so CI always runs them."""

import os
import shutil

import pytest


def tools_required() -> bool:
    return os.environ.get("REQUIRE_TEST_TOOLS", "") == "1"


def require_tools(*programs: str, purpose: str, install: str) -> None:
    """Skip (or, with REQUIRE_TEST_TOOLS=1, fail) the running test unless every program is found."""
    missing = [program for program in programs if not shutil.which(program)]
    if not missing:
        return
    why = f"{', '.join(missing)} not found: {purpose} need it ({install})"
    if tools_required():
        pytest.fail(f"{why}; REQUIRE_TEST_TOOLS=1 makes this a failure", pytrace=False)
    pytest.skip(why)
