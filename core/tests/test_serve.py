"""`manage.py serve` for real: gunicorn and qcluster as child processes, stopped by Ctrl+C."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

START_SECONDS = 30
STOP_SECONDS = 25  # SERVE_STOP_TIMEOUT below, plus slack
CHILDREN = ("qcluster", "mailcatcher")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a live process, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may itself contain spaces and parentheses.
    state, ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
    return state, int(ppid), int(session)


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def is_alive(pid: int) -> bool:
    stat = proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def descendants(root: int) -> dict[int, tuple[int, str]]:
    """Every live process below `root`: its parent pid and command line."""
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        stat = proc_stat(pid)
        if stat is not None and stat[0] != "Z":
            children.setdefault(stat[1], []).append(pid)
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for child in children.get(parent, []):
            found[child] = (parent, cmdline(child))
            todo.append(child)
    return found


def alive_in_sessions(sessions: set[int]) -> list[int]:
    """Live processes in any of the given sessions. Every child of the supervisor leads its own
    session and what it starts stays there, so this also finds processes orphaned on the way."""
    return [pid for pid in all_pids() if is_alive(pid) and proc_stat(pid)[2] in sessions]


def serve_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_HOST"}}
    env.update(
        DJANGO_SETTINGS_MODULE="core.settings",
        DEBUG="1",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_WORKERS="1",
        WEB_THREADS="2",
        Q_WORKERS="1",
        SERVE_STOP_TIMEOUT="15",
        # No EMAIL_HOST: serve starts the development mail catcher, here on a free port.
        EMAIL_PORT=str(free_port()),
        MAIL_CATCHER_DIR=str(tmp_path / "mail"),
    )
    return env


def graphiql_status(url: str) -> int | None:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_serve_runs_web_and_cluster_and_stops_all_on_sigint(tmp_path):
    # given a migrated SQLite file and `serve` on a free port
    port = free_port()
    env = serve_env(tmp_path, port)
    manage_py = str(settings.BASE_DIR / "manage.py")
    migrate = [sys.executable, manage_py, "migrate", "--noinput"]
    subprocess.run(migrate, env=env, cwd=settings.BASE_DIR, check=True, capture_output=True)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen(
            [sys.executable, manage_py, "serve"],
            env=env,
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    sessions = {supervisor.pid}
    try:
        deadline = time.monotonic() + START_SECONDS
        status = None
        running: dict[int, tuple[int, str]] = {}
        while time.monotonic() < deadline and supervisor.poll() is None:
            running = descendants(supervisor.pid)
            sessions.update(pid for pid, (parent, _) in running.items() if parent == supervisor.pid)
            status = graphiql_status(f"http://127.0.0.1:{port}/graphql/")
            lines = [line for _, line in running.values()]
            if status == 200 and all(any(f"manage.py {name}" in line for line in lines) for name in CHILDREN):
                break
            time.sleep(0.3)
        assert supervisor.poll() is None, log_path.read_text()
        assert status == 200, log_path.read_text()
        children = {pid: line for pid, (parent, line) in running.items() if parent == supervisor.pid}
        [web_pid] = [pid for pid, line in children.items() if "-m gunicorn core.wsgi:application" in line]
        [tasks_pid] = [pid for pid, line in children.items() if "manage.py qcluster" in line]
        [mail_pid] = [pid for pid, line in children.items() if "manage.py mailcatcher" in line]
        output = log_path.read_text()
        assert f"serve: started web (pid {web_pid})" in output
        assert f"serve: started tasks (pid {tasks_pid})" in output
        assert f"serve: started mail (pid {mail_pid})" in output
        assert f"serve: listening on http://127.0.0.1:{port}/" in output

        # when Ctrl+C reaches the supervisor
        supervisor.send_signal(signal.SIGINT)

        # then it stops cleanly, and nothing it started is left
        assert supervisor.wait(timeout=STOP_SECONDS) == 0, log_path.read_text()
        assert log_path.read_text().rstrip().endswith("serve: stopped")
        assert [pid for pid in running if is_alive(pid)] == []
        assert alive_in_sessions(sessions) == []
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        supervisor.wait()
        for pid in alive_in_sessions(sessions):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
