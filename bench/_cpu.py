"""What the in-process CPU benchmarks (``bench/*/cpu.py``) share: per operation, the SQL statements of a
request, this process's CPU and wall time per request, and the CPU of the PostgreSQL backend serving it,
then one table (with floor/op: the floor's CPU over the operation's) and, if asked, the statements."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path


def backend_cpu_ms(pid: int | None) -> float | None:
    """User + system CPU of a local PostgreSQL backend, from /proc (None when not readable)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of proc(5))
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int | None:
    from django.db import connection

    connection.ensure_connection()
    info = getattr(connection.connection, "info", None)  # psycopg 3
    return getattr(info, "backend_pid", None)


class Meter:
    """Collects the figures of ``ops`` (one of which is ``"floor"``): :meth:`capture` on rounds of their
    own (capturing costs CPU itself), :meth:`time` on the timed rounds."""

    def __init__(self, ops: Sequence[str]) -> None:
        self.ops = list(ops)
        self.statements: dict[str, list[int]] = {op: [] for op in self.ops}
        self.captured: dict[str, list[str]] = {}
        self.cpu: dict[str, list[float]] = {op: [] for op in self.ops}
        self.wall: dict[str, list[float]] = {op: [] for op in self.ops}
        self.db: dict[str, float | None] = dict.fromkeys(self.ops, 0.0)

    def capture(self, op: str, do: Callable[[], object]) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            do()
        self.statements[op].append(len(ctx.captured_queries))
        self.captured[op] = [q["sql"] for q in ctx.captured_queries]

    def time(self, op: str, do: Callable[[], object]) -> None:
        pid = backend_pid()
        d0 = backend_cpu_ms(pid)
        c0, w0 = time.process_time(), time.perf_counter()
        do()
        c1, w1 = time.process_time(), time.perf_counter()
        d1 = backend_cpu_ms(pid)
        self.cpu[op].append(c1 - c0)
        self.wall[op].append(w1 - w0)
        db = self.db[op]
        if d0 is None or d1 is None or db is None or backend_pid() != pid:
            self.db[op] = None
        else:
            self.db[op] = db + d1 - d0

    def report(self, title: str, *, average: Callable[[list[float]], float], width: int = 10) -> None:
        """The table: statements (the usual count, and the range when it varied), CPU and wall ms per
        request by ``average`` (``statistics.mean`` or ``median``), the backend's CPU as a mean (10 ms
        ticks: only a mean over many requests means something), floor/op."""
        cpu = {op: average(self.cpu[op]) for op in self.ops}
        print(title)
        print(
            f"{'operation':<{width}} {'statements':>10} {'CPU ms':>8} {'DB CPU ms':>10} {'wall ms':>8} {'floor/op':>9}"
        )
        for op in self.ops:
            counts = Counter(self.statements[op])
            shown = str(counts.most_common(1)[0][0])
            if len(counts) > 1:
                shown += f" ({min(counts)}-{max(counts)})"
            db = self.db[op]
            db_shown = f"{db / len(self.cpu[op]):.2f}" if db is not None else "-"
            print(
                f"{op:<{width}} {shown:>10} {1000 * cpu[op]:>8.2f} {db_shown:>10}"
                f" {1000 * average(self.wall[op]):>8.2f} {cpu['floor'] / cpu[op]:>9.2f}"
            )

    def print_sql(self) -> None:
        for op in self.ops:
            print(f"\n-- {op}: {len(self.captured[op])} statements")
            for sql in self.captured[op]:
                print("  ", sql if os.environ.get("FULL_SQL") else sql[:240])
