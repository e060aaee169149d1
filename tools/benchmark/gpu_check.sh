#!/usr/bin/env bash
# The GPU figures of docs/results/dry_run.md, in at most about 8 minutes on
# one GPU; one JSON line per figure on stdout (logs in $OUT_DIR):
#   1. CAM classifier training (configs/cam/cam_r50_4xb4-5e_voc12aug-512x512.py,
#      random weights): images/s in fp32, AMP, AMP + channels-last
#      (goal: AMP + channels-last >= 1.5x fp32);
#   2. multi-scale CAM generation against IRN's per-image procedure;
#   3. one dry-run round of configs/conta/irn_voc.py on a VOC-scale
#      stand-in, per stage: seconds, time per iteration or image, peak
#      CUDA memory, and the full VOC schedule extrapolated.
# Usage: bash tools/benchmark/gpu_check.sh [OUT_DIR]   (needs pydensecrf2)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT_DIR=${1:-$REPO/work_dirs/gpu_check}
PYTHON="$(bash "$REPO/tools/venv_dir.sh")/bin/python"
[[ -x "$PYTHON" ]] || PYTHON=python
mkdir -p "$OUT_DIR"
cd "$REPO"
"$PYTHON" -c 'import torch; assert torch.cuda.is_available(), "no GPU"'

"$PYTHON" tools/benchmark/train_speed.py --device cuda --iters 20 \
    --warmup 5 2> "$OUT_DIR/train_speed.log" | tail -n 1
"$PYTHON" tools/benchmark/cam_speed.py --device cuda --images 32 \
    --size 448 --batch-size 8 2> "$OUT_DIR/cam_speed.log" | tail -n 1

"$PYTHON" tools/dataset_converters/make_confounded_shapes.py \
    "$OUT_DIR/standin_voc" --layout voc --num-train 32 --num-val 8 \
    --overwrite > "$OUT_DIR/standin.log"
"$PYTHON" tools/experiments/dry_run.py configs/conta/irn_voc.py \
    --data-root "$OUT_DIR/standin_voc" --nprocs 1 --rounds 1 --images 32 \
    --val-images 8 --iters 20 --work-dir "$OUT_DIR/dry_run" \
    > "$OUT_DIR/dry_run.log" 2>&1
"$PYTHON" - "$OUT_DIR/dry_run/irn_voc/results.json" <<'PY'
import json
import sys

for result in json.load(open(sys.argv[1])):
    for row in result['rows']:
        print(json.dumps(dict(config=result['config'],
                              nprocs=result['nprocs'], **row)))
PY
