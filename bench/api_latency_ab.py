"""bench/api_latency.py in two checkouts at once, the two taking turns request by request.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] .venv/bin/python bench/api_latency_ab.py \
        BEFORE_DIR AFTER_DIR [REQUESTS]

On a shared machine the p50 of one request moves by a third or more between two runs of the same
code, so two checkouts timed one after the other cannot be told apart. Here each checkout runs
its own `bench/api_latency.py` (its own code, seed and test database: the database's name gets
`_a` or `_b`), in a process of its own; every timed call waits for this process's turn signal,
and the two take turns call by call (the first of each pair alternating), so the noise of any
moment falls on both alike. It needs the two checkouts' `api_latency.main()` to time the same
calls in the same order, which `timed()` calls it makes checks as it goes.

Prints, per timed call, each checkout's p50 / p95 in ms and the median of the turns' differences
(after - before) with its interquartile range, as a share of the before p50.
"""

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

# What api_latency.main() times, in its order: each request through the API, then its raw fetch;
# then the cached homeStats request and a bare cache read.
REQUESTS = [
    "mailings(first:100), manager",
    "deliveryAttempts(first:100) mailing+SENT, first page",
    "deliveryAttempts(first:100) mailing+SENT, after row 80,000",
    "Mailing.stats (node), 100,000-row mailing",
    "homeStats (cached)",
]
CALLS = [f"{name}: {side}" for name in REQUESTS for side in ("API", "raw")] + [
    "homeStats (cached) again: API",
    "bare cache read",
]


def worker(tree: Path, runs: int) -> None:
    """Run `tree`'s api_latency.main() with every timed call waiting for its turn on stdin and
    reporting its time on the original stdout; main()'s own printing goes to stderr."""
    sys.path[0] = str(tree / "bench")
    os.chdir(tree)
    report = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout = sys.stderr
    import api_latency

    def timed(call, count: int) -> tuple[float, float]:
        report.write(f"ready {count}\n")
        timings = []
        for _ in range(count):
            if sys.stdin.readline().strip() != "go":
                raise SystemExit("the parent stopped")
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
            report.write(f"{timings[-1]}\n")
        timings.sort()
        return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]

    api_latency.timed = timed
    api_latency.main(runs)
    report.write("done\n")


def start(tree: Path, suffix: str, runs: int, log: Path) -> subprocess.Popen:
    url = os.environ["DATABASE_URL"]
    env = {**os.environ, "DATABASE_URL": f"{url.rstrip('/')}_{suffix}"}
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, __file__, "--worker", str(tree), str(runs)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=output,
            text=True,
            bufsize=1,
        )


def expect(process: subprocess.Popen, log: Path) -> str:
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"a checkout's bench stopped; see {log}")
    return line.strip()


def main(before: Path, after: Path, runs: int) -> int:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must name a PostgreSQL database (the seed is PostgreSQL's).")
        return 2
    var = Path(__file__).resolve().parent.parent / "var"
    var.mkdir(exist_ok=True)
    logs = {"before": var / "bench-api-latency-ab-before.log", "after": var / "bench-api-latency-ab-after.log"}
    sides = {
        "before": start(before, "a", runs, logs["before"]),
        "after": start(after, "b", runs, logs["after"]),
    }
    times: dict[str, dict[str, list[float]]] = {}
    try:
        for call in CALLS:
            counts = {side: expect(process, logs[side]) for side, process in sides.items()}
            if len(set(counts.values())) != 1 or not counts["before"].startswith("ready "):
                raise SystemExit(f"the checkouts do not time the same calls: {counts}")
            times[call] = {side: [] for side in sides}
            order = list(sides)
            for turn in range(int(counts["before"].split()[1])):
                for side in order if turn % 2 == 0 else reversed(order):
                    sides[side].stdin.write("go\n")
                    times[call][side].append(float(expect(sides[side], logs[side])))
            print(f"{call}: done", flush=True)
        for side, process in sides.items():
            if expect(process, logs[side]) != "done":
                raise SystemExit(f"the checkouts time more calls than this script knows; see {logs[side]}")
            process.wait(timeout=120)
    finally:
        # A checkout still running here stopped half-way: SIGINT lets it drop its test database.
        for process in sides.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in sides.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    print(f"\nbefore: {before}\nafter:  {after}\n{runs} calls each, taking turns; ms")
    print(f"{'call':64} {'before p50':>10} {'p95':>7} {'after p50':>10} {'p95':>7}  after - before, median [IQR]")
    for call, by_side in times.items():
        b, a = sorted(by_side["before"]), sorted(by_side["after"])
        differences = [x - y for x, y in zip(by_side["after"], by_side["before"], strict=True)]
        low, _, high = statistics.quantiles(differences, n=4)
        median = statistics.median(differences)
        p95 = max(0, int(len(b) * 0.95) - 1)
        print(
            f"{call:64} {statistics.median(b):10.1f} {b[p95]:7.1f} {statistics.median(a):10.1f} {a[p95]:7.1f}"
            f"  {median:+6.1f} [{low:+.1f} to {high:+.1f}] = {median / statistics.median(b) * 100:+4.0f}%"
        )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(Path(sys.argv[2]).resolve(), int(sys.argv[3]))
    else:
        if len(sys.argv) < 3:
            raise SystemExit(__doc__)
        runs = int(sys.argv[3]) if len(sys.argv) > 3 else 100
        sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), runs))
