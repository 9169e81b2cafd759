#!/bin/sh
# Installs the Debian packages the test suite needs: chromium (Playwright browser tests), Java (ODK Validate)
# and Node/npm (to build ODK Web Forms for the form-engine tests).
# Never downloads a browser through Playwright itself.
set -eu
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
# ODK Validate (the form engine inside ODK Collect) runs on Java in the form tests
command -v java >/dev/null 2>&1 || need="$need default-jre-headless"
# ODK Web Forms is built with Node/npm for the form-engine tests
command -v npm >/dev/null 2>&1 || need="$need nodejs npm"
[ -z "$need" ] && exit 0
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "system-deps: need root (or sudo) to apt-get install:$need" >&2; exit 1
    fi
fi
echo "system-deps: apt-get install$need"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
