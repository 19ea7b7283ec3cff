#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the app and its tests need, if any is missing.
#   scripts/system-deps.sh run    what `make run` needs (Python venv, WeasyPrint's libraries)
#   scripts/system-deps.sh test   also Chromium, Redis, poppler and npm for the tests
set -euo pipefail
what=${1:-test}

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

python=${PYTHON:-python3.11}
have_cmd "$python" || need+=(python3.11)
"$python" -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3.11-venv)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  have_pkg "$pkg" || need+=("$pkg")
done
if [ "$what" = test ]; then
  have_cmd chromium || need+=(chromium)
  have_cmd redis-server || need+=(redis-server)
  have_cmd pdftotext || need+=(poppler-utils)
  have_cmd npm || need+=(npm)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing system packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
