#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (tests/browser/).
# Idempotent: does nothing when /usr/bin/chromium exists.  As root it installs the Debian
# package; otherwise it says what to run and exits non-zero.
# (Playwright's own browser download is not used: it fetches a build from outside the
# package registries.)
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    # CJK fonts make Chinese text legible in the screenshots (best effort).
    if [ "$(id -u)" -eq 0 ] && ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 \
            || true
    fi
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: installing Debian's chromium package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q chromium
    apt-get install -y -q fonts-noto-cjk || true
    if [ -x "$CHROMIUM" ]; then
        exit 0
    fi
    echo "ensure_chromium: apt-get finished but $CHROMIUM is missing" >&2
    exit 1
fi

cat >&2 <<MSG
ensure_chromium: $CHROMIUM not found, and this script can only install it as root.
Install Debian's Chromium, then run the tests again:
    sudo apt-get update && sudo apt-get install -y chromium
(Outside CI the browser tests are skipped while Chromium is missing; in CI they must run.)
MSG
exit 1
