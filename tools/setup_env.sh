#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment.
#
# Two stacks, one switch (MMCONTA_STACK):
#   onedl (default)  the maintained fork of OpenMMLab, same import names:
#                    onedl-mmengine, onedl-mmcv (without compiled ops: mmconta
#                    uses none), onedl-mmsegmentation, onedl-mmpretrain.
#                    About 2 minutes from nothing on 2 cores.
#   openmmlab        upstream mmengine 0.10.7, mmcv 2.1.0 built with its ops
#                    (about 14 minutes on 2 cores, cached as a wheel outside
#                    the clone, keyed on the Python, torch and mmcv versions),
#                    mmsegmentation 1.2.2, mmpretrain 1.2.0.
#
# Idempotent: a complete venv whose stamp matches this script's pins returns in
# seconds.
#
# Environment:
#   MMCONTA_STACK  onedl | openmmlab (default: onedl)
#   MMCONTA_VENV   where the venv goes (default: <repo>/.venv for onedl,
#                  <repo>/.venv-openmmlab for openmmlab)
#   MMCONTA_CACHE  wheel cache outside the clone (default: ~/.cache/mmconta)
#   MMCONTA_MIM    1 installs the stack's mim (onedl-mim, openmim)
#   MMCONTA_CRF    1 installs pydensecrf2 (dense CRF; it compiles for minutes,
#                  as no wheel exists); default 1 on openmmlab, 0 on onedl,
#                  where the CRF tests are skipped with the reason
#   PYTHON         interpreter that creates the venv (default: python3.11)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="${MMCONTA_STACK:-onedl}"
CACHE="${MMCONTA_CACHE:-$HOME/.cache/mmconta}"
PYTHON="${PYTHON:-python3.11}"

TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
case "$STACK" in
  onedl)
    OPENMMLAB=(onedl-mmengine==0.10.12 onedl-mmcv==2.3.6
               onedl-mmsegmentation==1.4.2 onedl-mmpretrain==1.3.6)
    MIM=onedl-mim==0.5.1 ;;
  openmmlab)
    MMCV_VERSION=2.1.0
    OPENMMLAB=(mmengine==0.10.7 "mmcv==$MMCV_VERSION" mmsegmentation==1.2.2
               mmpretrain==1.2.0)
    MIM=openmim==0.3.9 ;;
  *)
    echo "setup_env: MMCONTA_STACK must be onedl or openmmlab, got '$STACK'" >&2
    exit 2 ;;
esac
EXTRAS=(ftfy regex pytest)
# The stack's mim (`mim train mmconta CONFIG` runs the configs/ and tools/
# shipped in the package, mmconta/.mim) only on request: onedl-mim brings
# pandas and openxlab, about 50 s that would push the install past 3 min.
if [[ "${MMCONTA_MIM:-0}" == 1 ]]; then
  EXTRAS+=("$MIM")
fi
if [[ "${MMCONTA_CRF:-$([[ "$STACK" == openmmlab ]] && echo 1 || echo 0)}" == 1 ]]; then
  EXTRAS+=(pydensecrf2)
fi
VENV="$(bash "$REPO/tools/venv_dir.sh")"

log() { printf '[setup_env %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# The stamp covers every pin and the package metadata: change either and the
# install steps run again (each is a no-op where already satisfied).
STAMP_KEY="$("$PYTHON" -c 'import platform; print(platform.python_version())') \
stack=$STACK torch=$TORCH_VERSION torchvision=$TORCHVISION_VERSION ${OPENMMLAB[*]} \
${EXTRAS[*]} pyproject=$(sha1sum "$REPO/pyproject.toml" | cut -c1-12) repo=$REPO"
STAMP="$VENV/.mmconta-env"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_KEY" ]]; then
  log "reusing complete $STACK environment $VENV"
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

if [[ "$STACK" == onedl ]]; then
  # onedl-mmcv builds from its sdist in pip's isolated environment, where torch
  # is absent, so it builds without compiled ops in seconds.
  log "OneDL stack: ${OPENMMLAB[*]}"
  "${PIP[@]}" "${OPENMMLAB[@]}" "${EXTRAS[@]}"
  CHECK="import mmconta, mmseg.models, mmpretrain.models"
else
  # mmcv's build needs pkg_resources, i.e. setuptools < 70, and no build
  # isolation.
  "${PIP[@]}" "setuptools<70" wheel ninja "${OPENMMLAB[0]}"
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
  log "upstream stack: ${OPENMMLAB[*]:2}"
  "${PIP[@]}" "${OPENMMLAB[@]:2}" "${EXTRAS[@]}"
  # torch declares setuptools>=77; mmengine 0.10.7 still needs pkg_resources
  # (gone in 81).
  "${PIP[@]}" "setuptools>=77,<81"
  CHECK="import mmconta, mmseg.models, mmpretrain.models, mmcv.ops"
fi
# --no-deps: the stack above is the dependency set (pyproject.toml names
# it as the extras [onedl] and [openmmlab]).
"${PIP[@]}" --no-build-isolation --no-deps -e "$REPO"

"$PY" -c "$CHECK"
echo "$STAMP_KEY" > "$STAMP"
log "$STACK environment ready in $(( $(date +%s) - start )) s: $VENV"
