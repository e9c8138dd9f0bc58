#!/bin/sh
# What the test suite needs from the operating system: Debian's chromium, which the
# browser tests drive. Installed here when we may (root); otherwise one line says what to
# install and the run stops, before anything long starts. Nothing is skipped silently.
#
# AS_ROOT=yes|no overrides `id -u` (this script's own tests use it).
set -u

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "${AS_ROOT:-$( [ "$(id -u)" = 0 ] && echo yes || echo no )}" != yes ]; then
    echo "make test needs Debian's chromium (browser tests): run 'sudo apt-get install -y chromium', then make test again" >&2
    exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
        && command -v chromium >/dev/null 2>&1; then
    exit 0
fi
echo "make test needs Debian's chromium (browser tests) and installing it failed (see above): install it with 'apt-get install -y chromium', then make test again" >&2
exit 1
