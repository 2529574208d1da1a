#!/usr/bin/env bash
# Install the system packages troupe's test suite needs (idempotent):
# Graphviz (`dot`, for .svg/.png graphs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-graphviz.sh"
