#!/bin/sh
# Installs the Debian packages the test suite needs (Debian's chromium for the Playwright browser tests).
# Never downloads a browser through Playwright itself.
set -eu
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
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
