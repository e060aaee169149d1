#!/usr/bin/env bash
# Print the venv of the selected stack: MMCONTA_VENV if set, else
# <repo>/.venv (MMCONTA_STACK=onedl, the default) or <repo>/.venv-openmmlab.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${MMCONTA_STACK:-onedl}" in
  openmmlab) echo "${MMCONTA_VENV:-$REPO/.venv-openmmlab}" ;;
  *) echo "${MMCONTA_VENV:-$REPO/.venv}" ;;
esac
