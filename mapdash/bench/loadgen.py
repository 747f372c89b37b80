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
import http.client
import multiprocessing
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from mapdash.bench import percentile

MAX_CONNECTIONS = 256
MAX_SECONDS = 120.0
MAX_PROCESSES = 8
REQUEST_TIMEOUT = 30.0  # seconds; a request still unanswered then counts as an error
START_TIMEOUT = 60.0  # seconds for the processes to start


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
    # spawn, not fork: the caller may hold threads and database connections. Starting a
    # process takes seconds on a busy machine; all begin together once all are ready.
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [context.Process(target=_process, args=(url, headers or {}, share, warmup,
                                                      seconds, expect_status, ready, results),
                               daemon=True)
               for share in shares]
    for worker in workers:
        worker.start()
    try:
        ready.wait(timeout=START_TIMEOUT)
        parts = [results.get(timeout=warmup + seconds + REQUEST_TIMEOUT + START_TIMEOUT)
                 for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()
    result = LoadResult(url, connections, seconds)
    for part in parts:
        result.latencies_ms.extend(part["latencies_ms"])
        result.errors += part["errors"]
        result.body_bytes += part["body_bytes"]
        result.first_error = result.first_error or part["first_error"]
    return result


def _process(url: str, headers: dict[str, str], connections: int, warmup: float,
             seconds: float, expect_status: int, ready, results) -> None:
    """One process's share of the connections, one thread each."""
    ready.wait(timeout=START_TIMEOUT)
    measure_from = time.time() + warmup
    end = measure_from + seconds
    tallies = [_Tally() for _ in range(connections)]
    threads = [threading.Thread(target=_connection, args=(url, headers, tally, measure_from,
                                                          end, expect_status))
               for tally in tallies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"latencies_ms": [ms for t in tallies for ms in t.latencies_ms],
                 "errors": sum(t.errors for t in tallies),
                 "body_bytes": sum(t.body_bytes for t in tallies),
                 "first_error": next((t.first_error for t in tallies if t.first_error), None)})


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    body_bytes: int = 0
    first_error: str | None = None


def _connection(url: str, headers: dict[str, str], tally: _Tally, measure_from: float,
                end: float, expect_status: int) -> None:
    """One keep-alive connection: request after request until `end`."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection | None = None
    while time.time() < end:
        if conn is None:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                              timeout=REQUEST_TIMEOUT)
        started = time.perf_counter()
        try:
            conn.request("GET", target, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            status, reuse = answer.status, not answer.will_close
            error = None if status == expect_status else f"HTTP {status}: {body[:200]!r}"
        except (OSError, http.client.HTTPException) as failure:
            body, reuse, error = b"", False, repr(failure)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if measure_from <= time.time() <= end:
            if error is None:
                tally.latencies_ms.append(elapsed_ms)
                tally.body_bytes += len(body)
            else:
                tally.errors += 1
                tally.first_error = tally.first_error or error
        if not reuse:
            conn.close()
            conn = None
        if error is not None:
            time.sleep(0.01)  # a refused connection fails at once: do not spin on it
    if conn is not None:
        conn.close()
