"""The project's settings, plus the floor endpoint's URLconf. Nothing else differs from production."""

from tongban.conf.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
