#!/bin/sh
# Builds the ODK Web Forms test page (tests/forms/webforms/dist) that the form-engine tests load in chromium.
# Idempotent: does nothing when dist/ is newer than every source (package.json, lock file, page, config).
# Needs Node 20+ and npm; installs from the committed package-lock.json (npm ci), never from a CDN.
set -eu
cd "$(dirname "$0")/../tests/forms/webforms"
stamp=dist/.built
if [ -f "$stamp" ] && [ -d node_modules ] \
   && [ -z "$(find package.json package-lock.json index.html vite.config.js src -newer "$stamp" 2>/dev/null | head -n 1)" ]; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "webforms-build: npm not found; install Node.js 20+ (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install vite build
touch "$stamp"
