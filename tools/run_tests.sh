#!/usr/bin/env bash
# Install the environment if needed, then run the test suite.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh tests/test_datasets -x`.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/tools/setup_env.sh"
VENV="$(bash "$REPO/tools/venv_dir.sh")"
cd "$REPO"
exec "$VENV/bin/python" -m pytest -q "$@"
