"""百事通 latency over a 5,000-matter catalog (the demo catalog plus generated matters).

    .venv/bin/python bench/guide/latency.py [--matters 5000] [--queries 2000]

Reports the index build time, the memory it takes, and p50/p95/p99 of one search (wall clock,
and this process's CPU time, which the other jobs on a shared machine disturb less), measured two ways:
the selector (engine only) and the full API request through Django's test client
(URL routing, DRF, serializer, the weak-question log write).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matters", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    import _django
    import generate

    _django.setup()
    from accuracy import load_questions
    from django.conf import settings
    from django.test import Client

    from tongban.catalog.models import Matter
    from tongban.selfservice.guide.corpus import get_index, guide_index_invalidate
    from tongban.selfservice.selectors import guide_search

    settings.ALLOWED_HOSTS = ["*"]
    existing = Matter.objects.count()
    generate.load(max(0, args.matters - existing))
    total = Matter.objects.filter(active=True).count()
    guide_index_invalidate()
    import resource

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    index = get_index()
    build = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    labelled = [item["q"] for item in load_questions()]
    queries = (labelled + generate.questions(args.queries))[: args.queries]
    for q in queries[:50]:  # warm-up
        guide_search(q=q)
    engine: list[float] = []
    engine_cpu: list[float] = []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        guide_search(q=q)
        engine.append((time.perf_counter() - t) * 1000)
        engine_cpu.append((time.process_time() - c) * 1000)
    from tongban.selfservice.api.views import GuideSearchThrottle

    GuideSearchThrottle.rate = "1000000/min"
    client = Client()
    api: list[float] = []
    api_cpu: list[float] = []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        response = client.get("/api/v1/guide/search", {"q": q})
        api.append((time.perf_counter() - t) * 1000)
        api_cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200, response.content
    print(f"catalog: {total} active matters, {index.documents} documents; index build {build:.2f} s")
    print(f"peak RSS: {rss_before / 1024:.0f} MiB before the build, {rss_after / 1024:.0f} MiB after")
    for label, values in (
        ("engine wall", engine),
        ("engine CPU ", engine_cpu),
        ("API wall   ", api),
        ("API CPU    ", api_cpu),
    ):
        print(
            f"{label}: n={len(values)} mean {statistics.mean(values):.2f} ms  p50 {pct(values, 50):.2f}  "
            f"p95 {pct(values, 95):.2f}  p99 {pct(values, 99):.2f}  max {max(values):.2f} ms"
        )


if __name__ == "__main__":
    main()
