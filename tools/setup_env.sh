#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv.
#
# Idempotent: a complete .venv whose stamp matches this script's pins returns in
# seconds. The mmcv build (about 14 minutes on 2 cores) is cached as a wheel
# outside the clone, keyed on the Python, torch and mmcv versions, so a fresh
# clone on a warm machine reuses it and a torch change never reuses a build made
# against another torch.
#
# Environment:
#   MMCONTA_VENV   where the venv goes (default: <repo>/.venv)
#   MMCONTA_CACHE  wheel cache outside the clone (default: ~/.cache/mmconta)
#   PYTHON         interpreter that creates the venv (default: python3.11)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMCONTA_VENV:-$REPO/.venv}"
CACHE="${MMCONTA_CACHE:-$HOME/.cache/mmconta}"
PYTHON="${PYTHON:-python3.11}"

TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
MMENGINE_VERSION=0.10.7
MMCV_VERSION=2.1.0
MMSEG_VERSION=1.2.2
MMPRETRAIN_VERSION=1.2.0

log() { printf '[setup_env %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# The stamp covers every pin and the package metadata: change either and the
# install steps run again (each is a no-op where already satisfied).
STAMP_KEY="$("$PYTHON" -c 'import platform; print(platform.python_version())') \
torch=$TORCH_VERSION torchvision=$TORCHVISION_VERSION mmengine=$MMENGINE_VERSION \
mmcv=$MMCV_VERSION mmseg=$MMSEG_VERSION mmpretrain=$MMPRETRAIN_VERSION \
pyproject=$(sha1sum "$REPO/pyproject.toml" | cut -c1-12) repo=$REPO"
STAMP="$VENV/.mmconta-env"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_KEY" ]]; then
  log "reusing complete environment $VENV"
  exit 0
fi

start=$(date +%s)
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check --progress-bar off)
rm -f "$STAMP"

# The machine carries a local torch-2.13.0+cpu file that pip would prefer; the
# registry's torchvision does not import beside it, so exclude it by name.
log "torch $TORCH_VERSION + torchvision $TORCHVISION_VERSION"
"${PIP[@]}" "torch==$TORCH_VERSION,!=$TORCH_VERSION+cpu" "torchvision==$TORCHVISION_VERSION"

# mmcv's build needs pkg_resources, i.e. setuptools < 70, and no build isolation.
"${PIP[@]}" "setuptools<70" wheel ninja "mmengine==$MMENGINE_VERSION"

TORCH_FULL="$("$PY" -c 'import torch; print(torch.__version__)')"
PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
WHEEL_DIR="$CACHE/wheels/${PY_TAG}-torch${TORCH_FULL}-mmcv${MMCV_VERSION}"
MMCV_WHEEL="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$MMCV_WHEEL" ]]; then
  log "building mmcv $MMCV_VERSION with ops against torch $TORCH_FULL (about 14 min on 2 cores)"
  tmp="$(mktemp -d)"
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" "$PY" -m pip wheel --no-build-isolation \
    --no-deps --no-cache-dir -w "$tmp" "mmcv==$MMCV_VERSION"
  mkdir -p "$WHEEL_DIR"
  mv "$tmp"/mmcv-*.whl "$WHEEL_DIR"/   # rename into place: a killed build leaves no wheel
  rm -rf "$tmp"
  MMCV_WHEEL="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
else
  log "reusing mmcv wheel $MMCV_WHEEL"
fi
"${PIP[@]}" --force-reinstall --no-deps "$MMCV_WHEEL"
"${PIP[@]}" "$MMCV_WHEEL"   # its dependencies, now that mmcv itself is in place

log "mmsegmentation $MMSEG_VERSION, mmpretrain $MMPRETRAIN_VERSION, test tools"
"${PIP[@]}" "mmsegmentation==$MMSEG_VERSION" "mmpretrain==$MMPRETRAIN_VERSION" ftfy regex \
  pytest pydensecrf2
# torch declares setuptools>=77; mmengine still needs pkg_resources (gone in 81).
"${PIP[@]}" "setuptools>=77,<81"
"${PIP[@]}" --no-build-isolation --no-deps -e "$REPO"

"$PY" -c "import mmconta, mmseg.models, mmpretrain.models, mmcv.ops" 
echo "$STAMP_KEY" > "$STAMP"
log "environment ready in $(( $(date +%s) - start )) s: $VENV"
