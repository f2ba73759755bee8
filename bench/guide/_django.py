"""Boot Django for a benchmark on a throw-away SQLite database (or DATABASE_URL if set)."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup(*, load_demo_catalog: bool = True) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    var = tempfile.mkdtemp(prefix="tb-bench-guide-")
    os.environ.setdefault("TONGBAN_VAR_DIR", var)
    os.environ.setdefault("TONGBAN_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.conf.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.GUIDE_INDEX_CHECK_SECONDS = 3600  # measure searches, not catalog polling
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    if load_demo_catalog:
        from tongban.catalog import demo

        demo.load(io.StringIO())
