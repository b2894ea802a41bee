"""`manage.py serve`: run the web server and the task cluster as one foreground process.

The supervisor starts every entry of `child_specs()` in its own session, so a terminal's Ctrl+C
reaches the children only through it. On SIGINT, SIGTERM or SIGHUP it sends SIGINT to each child
(qcluster never stops on SIGTERM: django-q2 issue 346), waits up to SERVE_STOP_TIMEOUT seconds,
then SIGKILLs each child's whole process group. If one child exits on its own, the others are
stopped the same way and the command fails.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{name} must be an integer, not {value!r}") from None


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: tuple[str, ...]
    # What the kernel sends the child if the supervisor dies without stopping it.
    death_signal: signal.Signals = signal.SIGKILL
    # Whether SIGINT goes to the child's whole process group on a stop, not only to the child.
    stop_group: bool = False


def child_specs(*, host: str, port: int, web_workers: int, web_threads: int) -> list[ChildSpec]:
    """The processes `serve` runs; adding a process is adding an entry here."""
    manage_py = (sys.executable, str(settings.BASE_DIR / "manage.py"))
    specs = [
        ChildSpec(
            name="web",
            argv=(
                sys.executable,
                "-m",
                "gunicorn",
                "core.wsgi:application",
                f"--bind={bind_address(host, port)}",
                "--worker-class=gthread",
                f"--workers={web_workers}",
                f"--threads={web_threads}",
                "--access-logfile=-",
                # The default control socket is one fixed path per user: a second instance
                # (tests, another checkout) would take it over.
                "--no-control-socket",
            ),
        ),
        # SIGKILL would end only qcluster's main process and orphan its sentinel and workers,
        # which never look at their parent; SIGINT makes it stop them. On a stop, the workers get
        # SIGINT too: django-q would let each finish its task (minutes of a run), and the engine
        # instead settles what it sent and stops (mailing/delivery/stopping.py).
        ChildSpec(name="tasks", argv=(*manage_py, "qcluster"), death_signal=signal.SIGINT, stop_group=True),
    ]
    if not os.environ.get("EMAIL_HOST"):
        # No mail server configured: a development catcher on loopback (EMAIL_PORT) keeps every
        # message as a file in MAIL_CATCHER_DIR, and the engine speaks SMTP to it as to any server.
        specs.append(ChildSpec(name="mail", argv=(*manage_py, "mailcatcher")))
    return specs


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def die_with_parent(death_signal: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn that makes the kernel signal the child when the supervisor dies, even by
    SIGKILL, so no child outlives it. Linux only; elsewhere children are stopped only by a
    supervisor that is still alive to do it."""
    if not sys.platform.startswith("linux"):
        return None
    # Resolved before forking: the child must not load libraries between fork and exec.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    supervisor_pid = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        # The supervisor may have died before the death signal was armed. Nothing has started
        # yet that SIGKILL could orphan, and a caught signal would be lost at exec.
        if os.getppid() != supervisor_pid:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def exit_status(process: subprocess.Popen) -> int | None:
    """The child's exit code (minus the signal number if a signal ended it), or None while it
    runs. The child is not reaped: while it is a zombie its pid, which is also its process group
    id, cannot be reused, so `kill_group` cannot hit an unrelated group."""
    if process.returncode is not None:
        return process.returncode
    status = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    if status is None:
        return None
    return status.si_status if status.si_code == os.CLD_EXITED else -status.si_status


def kill_group(process: subprocess.Popen) -> None:
    if process.returncode is not None:
        return  # reaped: the group id may belong to someone else by now
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the task cluster (qcluster) until Ctrl+C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1", help="default: $HOST or 127.0.0.1")
        parser.add_argument("--port", type=int, default=env_int("PORT", 8000), help="default: $PORT or 8000")

    def handle(self, *args, host: str, port: int, **options):
        specs = child_specs(
            host=host,
            port=port,
            web_workers=env_int("WEB_WORKERS", 2),
            web_threads=env_int("WEB_THREADS", 4),
        )
        self.specs = {spec.name: spec for spec in specs}
        stop_timeout = env_int("SERVE_STOP_TIMEOUT", 15)
        received: list[int] = []

        def on_signal(signum, frame):
            received.append(signum)

        # Installed before any child starts, so a Ctrl+C during start-up is not lost.
        for signum in STOP_SIGNALS:
            signal.signal(signum, on_signal)

        children: dict[str, subprocess.Popen] = {}
        failure = ""
        try:
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            for spec in specs:
                children[spec.name] = subprocess.Popen(
                    spec.argv,
                    cwd=settings.BASE_DIR,
                    env=env,
                    start_new_session=True,
                    preexec_fn=die_with_parent(spec.death_signal),
                )
                self.say(f"serve: started {spec.name} (pid {children[spec.name].pid}): {' '.join(spec.argv)}")
            self.say(f"serve: listening on http://{bind_address(host, port)}/ (GraphQL at /graphql/); Ctrl+C stops")

            while not received:
                exited = [(name, code) for name, p in children.items() if (code := exit_status(p)) is not None]
                if exited:
                    name, code = exited[0]
                    failure = f"{name} (pid {children[name].pid}) exited on its own with code {code}"
                    self.say(f"serve: {failure}; stopping the others", error=True)
                    break
                time.sleep(POLL_SECONDS)
            else:
                self.say(f"serve: got {signal.Signals(received[0]).name}, stopping (up to {stop_timeout} s)")
        finally:
            leftovers = self.stop(children, timeout=stop_timeout, received=received)

        if failure:
            raise CommandError(failure)
        if leftovers:
            raise CommandError(f"{', '.join(leftovers)} did not stop in time and had to be killed")
        self.say("serve: stopped")

    def stop(self, children: dict[str, subprocess.Popen], *, timeout: int, received: list[int]) -> list[str]:
        """SIGINT every child, SIGKILL what is left at the deadline (or at a second stop signal),
        and kill every child's process group. Returns the names of the children that were killed."""
        already_received = len(received)
        for name, process in children.items():
            if exit_status(process) is None:
                # Not Popen.send_signal: it would reap an exited child (see exit_status). The
                # child leads its own group (start_new_session), whose id is its pid.
                signal_child = os.killpg if self.specs[name].stop_group else os.kill
                with contextlib.suppress(ProcessLookupError):
                    signal_child(process.pid, signal.SIGINT)

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(received) <= already_received:
            if all(exit_status(process) is not None for process in children.values()):
                break
            time.sleep(POLL_SECONDS)
        killed = [name for name, process in children.items() if exit_status(process) is None]
        if killed and len(received) > already_received:
            self.say("serve: second stop signal, killing now", error=True)
        for process in children.values():
            # Also for children that stopped: it takes along any subprocess they left behind.
            kill_group(process)
            process.wait()
        if killed:
            self.say(f"serve: killed {', '.join(killed)}", error=True)
        return killed

    def say(self, message: str, *, error: bool = False) -> None:
        stream = self.stderr if error else self.stdout
        stream.write(message)
        stream.flush()
