#!/usr/bin/env bash
# The main job on the embedded default: install if needed, generate the
# synthetic confounded benchmark, then run the CAM baseline on it
# (classifier training, CAM generation, seeds and pseudo-masks with metrics).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash tools/setup_env.sh
PY="${MMCONTA_VENV:-$REPO/.venv}/bin/python"
DATA="${DATA:-data/confounded_shapes}"
WORK_DIR="${WORK_DIR:-work_dirs/cam_shapes}"

if [[ ! -f "$DATA/meta.json" ]]; then
  echo "[quickstart] generating the synthetic confounded benchmark in $DATA"
  "$PY" tools/dataset_converters/make_confounded_shapes.py "$DATA" \
    --num-train 300 --num-val 100 --seed 0 --confounding 0.9
fi

echo "[quickstart] 1/2 training the CAM classifier (configs/cam/cam_shapes.py)"
"$PY" tools/train.py configs/cam/cam_shapes.py --work-dir "$WORK_DIR" --data-root "$DATA"
CKPT="$(cat "$WORK_DIR/last_checkpoint")"
echo "[quickstart] 2/2 CAMs, seeds and pseudo-masks on the train split from $CKPT"
"$PY" tools/test.py configs/cam/cam_shapes.py "$CKPT" --work-dir "$WORK_DIR" --data-root "$DATA"
echo "[quickstart] done: CAMs in $WORK_DIR/cam, pseudo-masks in $WORK_DIR/pseudo," \
  "pictures under $WORK_DIR/*/vis_data, metrics in the log above"
