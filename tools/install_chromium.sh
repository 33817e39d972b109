#!/usr/bin/env bash
# Debian's chromium for the web app's browser test (tests/app/test_browser.py), when missing.
# Used by `make test` and .ci/run. Without root/sudo or apt the test says why it is skipped
# (under CI, CI=true, a skip is a failure).
set -uo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "note: no apt-get; the browser test will be skipped" >&2; exit 0; }
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "note: installing chromium needs root (sudo apt-get install chromium); the browser test will be skipped" >&2
        exit 0
    fi
fi
echo "installing Debian's chromium for the browser test (once)…" >&2
$SUDO apt-get update -qq >/dev/null 2>&1
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
    || echo "note: apt-get install chromium failed; the browser test will be skipped" >&2
exit 0
