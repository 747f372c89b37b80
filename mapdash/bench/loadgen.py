"""A bounded HTTP load generator for `make bench-http`.

A fixed number of keep-alive connections (at most MAX_CONNECTIONS), spread over a few
processes (one Python process cannot keep a fast server busy), each sending one request
after another, the next as soon as the last answer is read, for a fixed time (at most
MAX_SECONDS). So the load is closed: never more requests in flight than connections, never
longer than asked. The answers that arrive between the end of the warm-up and the deadline
count (whenever they were asked: a slow endpoint's answers would otherwise be left out);
an answer other than the expected status, or a broken connection, is an error (the
connection is opened again).
"""
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mapdash.bench import percentile

MAX_CONNECTIONS = 256
MAX_SECONDS = 120.0
MAX_PROCESSES = 8
REQUEST_TIMEOUT = 30.0  # seconds; a request still unanswered then counts as an error
WORKER = Path(__file__).with_name("load_worker.py")


@dataclass
class LoadResult:
    url: str
    connections: int
    seconds: float  # the measured window
    latencies_ms: list[float] = field(default_factory=list)  # of the good answers
    errors: int = 0
    first_error: str | None = None
    body_bytes: int = 0  # of the good answers, as sent (compressed if it was)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def p(self, share: int) -> float | None:
        return percentile(self.latencies_ms, share) if self.latencies_ms else None

    @property
    def mean_bytes(self) -> float:
        return self.body_bytes / self.requests if self.requests else 0.0


def run_load(url: str, *, headers: dict[str, str] | None = None, connections: int = 16,
             seconds: float = 10.0, warmup: float = 1.0, processes: int = 2,
             expect_status: int = 200) -> LoadResult:
    """GET `url` over `connections` connections for `warmup` + `seconds` seconds."""
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise ValueError(f"connections: 1 to {MAX_CONNECTIONS}")
    if not 0 < seconds <= MAX_SECONDS or not 0 <= warmup <= MAX_SECONDS:
        raise ValueError(f"seconds: more than 0, at most {MAX_SECONDS}")
    processes = max(1, min(processes, connections, MAX_PROCESSES))
    shares = [connections // processes + (1 if n < connections % processes else 0)
              for n in range(processes)]
    # Each process runs load_worker.py as a script (the standard library alone: importing
    # mapdash takes seconds on a busy machine); all begin together once all are ready.
    job = {"url": url, "headers": headers or {}, "warmup": warmup, "seconds": seconds,
           "expect_status": expect_status, "timeout": REQUEST_TIMEOUT}
    workers = [subprocess.Popen([sys.executable, "-I", str(WORKER),
                                 json.dumps({**job, "connections": share})],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for share in shares]
    try:
        for worker in workers:
            if worker.stdout is None or worker.stdout.readline().strip() != "ready":
                raise RuntimeError("a load generator process did not start")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.close()
        # Each ends by itself: at the deadline, or a request timeout after it.
        parts = [json.loads(worker.stdout.read()) for worker in workers if worker.stdout]
    finally:
        for worker in workers:
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    result = LoadResult(url, connections, seconds)
    for part in parts:
        result.latencies_ms.extend(part["latencies_ms"])
        result.errors += part["errors"]
        result.body_bytes += part["body_bytes"]
        result.first_error = result.first_error or part["first_error"]
    return result
