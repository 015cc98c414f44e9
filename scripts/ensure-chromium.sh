#!/usr/bin/env bash
# The browser tests (test/browser) drive Debian's Chromium through playwright-core; Playwright's own browser download
# is never used. Install Chromium from Debian's packages when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "Chromium not found: installing Debian's chromium (needed by the browser tests in test/browser)" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null
/usr/bin/chromium --version
