#!/usr/bin/env bash
# Starts the production topology the way docs/deployment.md's trial does (the Procfile, run by honcho, with
# production settings), and checks that the login page answers through gunicorn with its static files and
# that a task sent to the broker is run by the worker. Needs PostgreSQL and Redis; used by .ci/run.
#   scripts/production-trial-check.sh postgres://postgres@127.0.0.1:5432 redis://127.0.0.1:6379
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:?PostgreSQL server URL}
redis=${2:?Redis URL}
db=esafety_trial_check
port=${TRIAL_PORT:-8765}
work=$(mktemp -d)
log="$work/honcho.log"

psql "$server/postgres" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
# Production settings, whatever the caller's environment or a .env says (honcho and Django read .env: a
# variable set here wins).
export DEBUG=false SECRET_KEY="trial-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" ALLOWED_HOSTS=127.0.0.1 \
  DATABASE_URL="$server/$db" CELERY_BROKER_URL="$redis/6" CELERY_TASK_ALWAYS_EAGER=false CACHE_URL="$redis/7" \
  STATIC_ROOT="$work/static" MANIFEST_STATIC=true EMAIL_URL= EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend \
  SECURE_SSL_REDIRECT=false WEB_CONCURRENCY=2 WORKER_CONCURRENCY=1
.venv/bin/python manage.py migrate --noinput >/dev/null
.venv/bin/python manage.py collectstatic --noinput >/dev/null

.venv/bin/honcho start -p "$port" >"$log" 2>&1 &
honcho=$!
stop() {
  kill "$honcho" 2>/dev/null || true
  wait "$honcho" 2>/dev/null || true
  psql "$server/postgres" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
}
trap stop EXIT
fail() { echo "$1" >&2; echo "--- honcho's log" >&2; tail -n 60 "$log" >&2; exit 1; }

# The login page, through gunicorn, and the (hashed) stylesheet it names, through WhiteNoise.
.venv/bin/python - "$port" <<'PY' || fail "The login page or its static files did not answer through gunicorn."
import re, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
for _ in range(60):
    try:
        page = urllib.request.urlopen(f"{base}/accounts/login/", timeout=5).read().decode()
        break
    except OSError:
        time.sleep(1)
else:
    sys.exit("gunicorn never answered")
assert "Log in" in page or "Sign in" in page, page[:500]
css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
assert css, "the login page names no hashed stylesheet"
response = urllib.request.urlopen(base + css.group(1), timeout=5)
assert response.status == 200 and b"{" in response.read()
print(f"login page and {css.group(1)} answered through gunicorn")
PY

# A task through Redis to the worker: it logs its success.
.venv/bin/python manage.py shell -v 0 -c "from esafety.celery import app; app.send_task('esafety.tasks.outbox_drain')"
for _ in $(seq 1 60); do
  if grep -Eq "Task esafety\.tasks\.outbox_drain\[[^]]+\] succeeded" "$log"; then
    echo "the worker ran a task sent through Redis"
    grep -Eq "beat: Starting" "$log" || fail "beat did not start"
    echo "beat started"
    exit 0
  fi
  sleep 1
done
fail "The worker did not run the task."
