#!/usr/bin/env bash
# Install the system packages troupe's test suite needs (idempotent):
# Graphviz (`dot`, for .svg/.png graphs) and Chromium (the replay page's browser tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-graphviz.sh"
bash "$here/install-chromium.sh"
