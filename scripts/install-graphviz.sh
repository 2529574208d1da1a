#!/usr/bin/env bash
# Install Graphviz (its `dot` command draws `troupe graph -o FILE.svg|.png`).
#
# Idempotent: does nothing when `dot` is already on PATH. Uses apt-get (Debian,
# Ubuntu), running `apt-get update` first; as a non-root user it uses sudo.
# .dot and .mmd output need nothing: only .svg and .png need Graphviz.
set -euo pipefail

if command -v dot >/dev/null 2>&1; then
    echo "Graphviz is already installed: $(dot -V 2>&1)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-graphviz.sh: apt-get not found; install Graphviz with your system's" \
         "package manager (e.g. 'brew install graphviz', 'dnf install graphviz')" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-graphviz.sh: run as root, or install sudo" >&2
        exit 1
    fi
fi

"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphviz

if ! command -v dot >/dev/null 2>&1; then
    echo "install-graphviz.sh: graphviz installed but 'dot' is still not on PATH" >&2
    exit 1
fi
echo "Installed $(dot -V 2>&1)"
