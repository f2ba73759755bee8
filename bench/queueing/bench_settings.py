"""The project's settings unchanged, plus the floor endpoint's URL (same server, same middleware)."""

from tongban.conf.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
