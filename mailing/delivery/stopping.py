"""An orderly stop of a cluster's worker processes.

django-q stops a cluster by letting each worker finish its task, however long that is; a run's
task could go on sending for minutes, until the supervisor kills it and its batch goes out again
after the restart. So each worker process catches SIGINT and SIGTERM (the supervisor of
`manage.py serve` sends SIGINT to the cluster's whole process group), and the engine asks
`requested()` between messages: it stops claiming, abandons the rest of its pipelined window and
settles what the server answered, well within SERVE_STOP_TIMEOUT.

A signal also ends the process once it has no run's task in hand (`task()`): a worker stopped
alone, while its cluster goes on, would otherwise stay alive and end every later task at once.
The cluster replaces a worker that has exited; a stopping cluster does not.
"""

import contextlib
import os
import signal
import threading
import time

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_requested = threading.Event()
_exiting = threading.Event()
_tasks = 0
_tasks_lock = threading.Lock()
# After the last task's end, time for django-q's worker loop to hand its result on.
EXIT_GRACE = 1.0


def requested() -> bool:
    return _requested.is_set()


def request(signum: int | None = None, frame=None) -> None:
    """Ask the engine of this process to stop (a signal handler, or a test); a signal also ends
    the process once it is idle."""
    _requested.set()
    if signum is not None and not _exiting.is_set():
        _exiting.set()
        threading.Thread(target=_exit_when_idle, name="stopping", daemon=True).start()


@contextlib.contextmanager
def task():
    """This process is busy with a run's task: a stop waits for it to settle and end."""
    global _tasks
    with _tasks_lock:
        _tasks += 1
    try:
        yield
    finally:
        with _tasks_lock:
            _tasks -= 1


def _idle() -> bool:
    with _tasks_lock:
        return _tasks == 0


def _exit_when_idle() -> None:
    while True:
        if _idle():
            time.sleep(EXIT_GRACE)
            if _idle():
                os._exit(0)  # a signal's end: no cleanup of a task that is not there
        time.sleep(0.1)


def reset() -> None:
    _requested.clear()


def install() -> None:
    """Catch the stop signals in this process (its main thread); called as a worker starts."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in STOP_SIGNALS:
        signal.signal(signum, request)


def on_worker_spawn(**kwargs) -> None:
    """django-q's `post_spawn`, sent in each new worker process before it takes a task."""
    install()
