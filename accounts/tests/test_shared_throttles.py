"""The login throttle holds across processes: `make run` serves with two web workers, and each
must see the failures the other counted (the cache is Redis, or else the database's table)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import UserFactory
from graphql_schema.accounts.tests.test_login_refusals import WRONG, login, throttled
from graphql_schema.tests.helpers import messages_of

BASE_DIR = Path(__file__).resolve().parents[2]

# A second web process: wrong passwords through the same service the login mutation calls.
OTHER_PROCESS = """
import json
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from accounts import services
codes = []
for n in range({attempts}):
    request = RequestFactory().post("/graphql/", REMOTE_ADDR="127.0.0.1")
    try:
        services.user_login(request=request, email="owner@example.com", password=f"wrong in the other {{n}}")
    except ValidationError as error:
        codes.append(error.code)
print(json.dumps(codes))
"""


def other_process_logins(attempts: int) -> list[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings_cluster_test",
        "CLUSTER_TEST_DB_NAME": connection.settings_dict["NAME"],
        "Q_CLUSTER_NAME": settings.Q_CLUSTER["name"],
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", OTHER_PROCESS.format(attempts=attempts)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_processes_share_the_login_throttle_so_exactly_five_wrong_passwords_are_checked(gql):
    # given
    UserFactory(email="owner@example.com")

    # when: three wrong passwords here, three in another process, then the right one here
    here = [messages_of(login(gql, "owner@example.com", f"wrong {n}")) for n in range(3)]
    there = other_process_logins(3)
    right = login(gql, "owner@example.com")

    # then
    assert here == [[WRONG]] * 3
    assert there == ["invalid_credentials", "invalid_credentials", "throttled"]
    (refusal,) = messages_of(right)
    seconds = int(
        re.fullmatch(
            r"Too many failed logins for this e-mail address\. Try again in (\d+) seconds\.", refusal["message"]
        )[1]
    )
    assert [refusal] == throttled("for this e-mail address", seconds)
    assert 0 < seconds <= settings.LOGIN_FAILURES_WINDOW
