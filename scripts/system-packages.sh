#!/bin/sh
# What the test suite needs from the operating system, from Debian's packages: chromium
# (the browser tests drive it), PostgreSQL 15, Redis and nginx (the production topology
# tests start them on loopback). Installed here when we may (root); otherwise one line
# says what to install and the run stops, before anything long starts. Nothing is skipped
# silently.
#
# AS_ROOT=yes|no overrides `id -u`; PG_BIN overrides where PostgreSQL's programs are
# looked for (this script's own tests use both).
set -u

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

# "package:program" for each: the package is missing while its program is not found.
missing=""
for need in chromium:chromium postgresql:"$PG_BIN/postgres" redis-server:redis-server \
        nginx:nginx; do
    package="${need%%:*}"
    program="${need#*:}"
    if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "$program" ]; then
        missing="${missing:+$missing }$package"
    fi
done
if [ -z "$missing" ]; then
    exit 0
fi
if [ "${AS_ROOT:-$( [ "$(id -u)" = 0 ] && echo yes || echo no )}" != yes ]; then
    echo "make test needs Debian's $missing (browser and production tests): run 'sudo apt-get install -y $missing', then make test again" >&2
    exit 1
fi
echo "Installing Debian's $missing for the tests..."
# shellcheck disable=SC2086 # one word per package
if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; then
    exit 0
fi
echo "make test needs Debian's $missing (browser and production tests) and installing failed (see above): install them with 'apt-get install -y $missing', then make test again" >&2
exit 1
