"""The WSGI module warms a worker before it serves (docs/deploy.md, section 4)."""

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3]


def test_a_worker_has_loaded_every_view_and_frozen_its_startup_objects_before_its_first_request():
    # a fresh interpreter, as a gunicorn worker is: this process has imported everything long ago
    probe = (
        "import gc, json, sys\n"
        "import tongban.conf.wsgi\n"
        "print(json.dumps({'modules': sorted(m for m in sys.modules if m.startswith('tongban.')),"
        " 'frozen': gc.get_freeze_count()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "DJANGO_SETTINGS_MODULE": "tongban.conf.settings"}
    env["TONGBAN_TESTING"] = "1"  # no production secrets here; nothing else changes what is loaded
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # the URL modules, the API's views, and the 百事通 views with the guide's text tools they import
    for module in ("tongban.api.urls", "tongban.queueing.api.views", "tongban.selfservice.guide.text"):
        assert module in got["modules"], module
    assert got["frozen"] > 10_000
