"""Starting and stopping a process group for a test or a benchmark (a qcluster, an SMTP sink)."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def stop_process_group(process: subprocess.Popen, deadline: float = 20) -> None:
    """SIGINT the group and wait up to `deadline` seconds, then SIGKILL whatever is left of it.

    SIGINT, because qcluster can hang for ever on SIGTERM (django-q2 issue 346); the whole group,
    because qcluster's sentinel and workers are processes of their own. The process must have
    been started with `start_new_session=True`.
    """
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=deadline)
    kill_process_group(process)


def kill_process_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def start_qcluster(env: dict[str, str], log: Path, *, append: bool = False) -> subprocess.Popen:
    """`manage.py qcluster` with `env`, its output into `log`, in a process group of its own so
    that `stop_process_group` reaches its sentinel and workers too."""
    with log.open("ab" if append else "wb") as output:
        return subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "qcluster"],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
