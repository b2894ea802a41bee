"""An orderly stop of a cluster's worker processes.

django-q stops a cluster by letting each worker finish its task, however long that is; a run's
task could go on sending for minutes, until the supervisor kills it and its batch goes out again
after the restart. So each worker process catches SIGINT and SIGTERM (the supervisor of
`manage.py serve` sends SIGINT to the cluster's whole process group), and the engine asks
`requested()` between messages: it stops claiming, abandons the rest of its pipelined window and
settles what the server answered, well within SERVE_STOP_TIMEOUT.
"""

import signal
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_requested = threading.Event()


def requested() -> bool:
    return _requested.is_set()


def request(signum: int | None = None, frame=None) -> None:
    """Ask the engine of this process to stop (a signal handler, or a test)."""
    _requested.set()


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
