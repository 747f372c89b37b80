"""One process of the load generator (loadgen.run_load), run as a script: the standard
library alone, so that it starts in a moment however busy the machine."""
import http.client
import json
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field


def main() -> None:
    """One process's share of the connections, one thread each: the job (JSON) as its
    argument, "ready" printed, then it waits for a line on stdin, runs, and prints what it
    measured (JSON)."""
    job = json.loads(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    url, headers, connections = job["url"], job["headers"], job["connections"]
    seconds, expect_status, timeout = job["seconds"], job["expect_status"], job["timeout"]
    measure_from = time.time() + job["warmup"]
    end = measure_from + seconds
    tallies = [_Tally() for _ in range(connections)]
    threads = [threading.Thread(target=_connection, args=(url, headers, tally, measure_from,
                                                          end, expect_status, timeout))
               for tally in tallies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"latencies_ms": [ms for t in tallies for ms in t.latencies_ms],
                      "errors": sum(t.errors for t in tallies),
                      "body_bytes": sum(t.body_bytes for t in tallies),
                      "first_error": next((t.first_error for t in tallies if t.first_error),
                                          None)}))


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    body_bytes: int = 0
    first_error: str | None = None


def _connection(url: str, headers: dict[str, str], tally: _Tally, measure_from: float,
                end: float, expect_status: int, timeout: float) -> None:
    """One keep-alive connection: request after request until `end`."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection | None = None
    while time.time() < end:
        if conn is None:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                              timeout=timeout)
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


if __name__ == "__main__":
    main()
