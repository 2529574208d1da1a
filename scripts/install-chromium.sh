#!/usr/bin/env bash
# Install Debian's Chromium, the browser the replay page's tests drive (through
# Playwright's Python package, with executable_path=/usr/bin/chromium).
#
# Idempotent: does nothing when /usr/bin/chromium already runs. Uses apt-get
# (Debian, Ubuntu), running `apt-get update` first; as a non-root user it uses sudo.
# Never run `playwright install`: it downloads browsers of its own.
set -euo pipefail

if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
    echo "Chromium is already installed: $(/usr/bin/chromium --version 2>/dev/null)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium.sh: apt-get not found; install Chromium with your system's" \
         "package manager so that /usr/bin/chromium exists" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-chromium.sh: run as root, or install sudo" >&2
        exit 1
    fi
fi

"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    chromium fonts-dejavu-core

if ! /usr/bin/chromium --version >/dev/null 2>&1; then
    echo "install-chromium.sh: chromium installed but /usr/bin/chromium does not run" >&2
    exit 1
fi
echo "Installed $(/usr/bin/chromium --version 2>/dev/null)"
