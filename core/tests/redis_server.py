"""A throwaway redis-server on loopback, which a test kills and starts again (an outage), never
the shared one. Ports 8150-8159."""

import socket
import subprocess
import time

import pytest
import redis

from core.tests.tools import require_tools

PORTS = range(8150, 8160)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise AssertionError(f"no free port in {PORTS.start}-{PORTS.stop - 1} for a throwaway Redis")


class ThrowawayRedis:
    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError("the throwaway redis-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def throwaway_redis():
    require_tools("redis-server", purpose="the Redis outage tests", install="apt-get install redis-server")
    server = ThrowawayRedis(_free_port())
    server.start()
    yield server
    server.kill()
