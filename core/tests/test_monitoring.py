"""A real task cluster, watched the ways an operator would: qinfo, qmonitor and queueStatus."""

import copy
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_q.brokers import get_broker
from django_q.models import Success
from django_q.tasks import async_task

from accounts.tests.factories import ManagerFactory
from core.processes import start_qcluster, stop_process_group

MANAGE = str(Path(__file__).resolve().parents[2] / "manage.py")
STATUS = "{ queueStatus { clustersAlive clusters { status workers } tasksQueued } }"


def _database_env() -> dict[str, str]:
    """Point a child process at this test run's database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": db["NAME"], "DATABASE_URL": ""}
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return {"DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}


@pytest.fixture
def cluster_env(settings, tmp_path):
    caches = copy.deepcopy(settings.CACHES)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings", "DEBUG": "0", "SECRET_KEY": settings.SECRET_KEY}
    env.update(_database_env())
    if "monitoring" in caches:  # without Redis, stats go through files both processes read
        caches["monitoring"]["LOCATION"] = str(tmp_path / "q-stats")
        settings.CACHES = caches
        env.update(Q_STATS_DIR=caches["monitoring"]["LOCATION"], CACHE_KEY_PREFIX=caches["monitoring"]["KEY_PREFIX"])
    return env


def _manage(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, MANAGE, *args], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _started(status: dict) -> dict | None:
    # A cluster reports itself while it is still starting its workers: wait until it is ready.
    ready = [cluster for cluster in status["clusters"] if cluster["status"] in {"Idle", "Working"}]
    return status if ready else None


def _wait_for(condition, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds} s; the cluster said:\n{log.read_text()[-3000:]}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_cluster_is_seen_by_qinfo_qmonitor_and_queue_status(cluster_env, gql, tmp_path):
    # given
    broker = get_broker()
    broker.purge_queue()
    manager = ManagerFactory()
    log = tmp_path / "qcluster.log"
    with gql.login(manager):
        before = gql.query(STATUS).data["queueStatus"]

    # when
    process = start_qcluster(cluster_env, log)
    try:
        with gql.login(manager):
            during = _wait_for(lambda: _started(gql.query(STATUS).data["queueStatus"]), 40, "no cluster started", log)
        task_id = async_task("math.floor", 2.5)
        done = _wait_for(lambda: Success.objects.filter(id=task_id).first(), 40, "the cluster ran no task", log)
        qinfo = _manage(cluster_env, "qinfo")
        qmonitor = _manage(cluster_env, "qmonitor", "--run-once")
    finally:
        stop_process_group(process)
        broker.purge_queue()

    # then
    assert before == {"clustersAlive": 0, "clusters": [], "tasksQueued": 0}
    assert during["clustersAlive"] == 1
    assert during["clusters"][0]["workers"] == django_settings.Q_CLUSTER["workers"]
    assert during["clusters"][0]["status"] in {"Idle", "Working"}
    assert done.result == 2
    assert re.search(r"Clusters\s*1\s*Workers\s*2", qinfo), qinfo
    assert re.search(r"Successes\s*1(?!\d)", qinfo), qinfo
    assert re.search(r"\b(Idle|Working)\b", qmonitor), qmonitor
    assert process.returncode is not None
