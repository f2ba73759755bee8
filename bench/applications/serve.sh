#!/bin/sh
# Serve the project (plus the floor endpoint) with gunicorn the way production does: 2 cores → 4 sync workers.
# Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_applications bench/applications/serve.sh [port]
set -e
cd "$(dirname "$0")/../.."
export PYTHONPATH="bench/applications:src"
export DJANGO_SETTINGS_MODULE=bench_settings
export TONGBAN_SECRET_KEY="${TONGBAN_SECRET_KEY:-bench-only-secret-key-not-for-production-0123456789}"
# fixed bench-only keys (never use these anywhere else)
export TONGBAN_FIELD_KEYS="${TONGBAN_FIELD_KEYS:-YmVuY2gtb25seS1rZXktMDEyMzQ1Njc4OWFiY2RlZjA=}"
export TONGBAN_FIELD_HASH_KEY="${TONGBAN_FIELD_HASH_KEY:-bench-only-hash-key}"
export TONGBAN_LOG_LEVEL=WARNING TONGBAN_DEBUG=0 TONGBAN_DEMO=0 TONGBAN_TESTING=0
exec .venv/bin/gunicorn tongban.conf.wsgi:application --bind "127.0.0.1:${1:-8194}" \
    --workers "${WORKERS:-4}" --worker-class "${WORKER_CLASS:-sync}" --threads "${THREADS:-1}" --keep-alive 30 --log-level warning \
    >/tmp/tb-applications-bench-server.log 2>&1
