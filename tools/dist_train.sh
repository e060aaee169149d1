#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py arguments]
# Works without a GPU too: each process then joins a gloo group on the CPU.
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
REPO="$(cd "$(dirname "$0")/.." && pwd)"
# The selected stack's venv when there is one (tools/setup_env.sh), else PATH's.
VENV_PYTHON="$(bash "$REPO/tools/venv_dir.sh")/bin/python"
PYTHON=${PYTHON:-$([[ -x "$VENV_PYTHON" ]] && echo "$VENV_PYTHON" || echo python)}
PYTHONPATH="$REPO:${PYTHONPATH:-}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$REPO/tools/train.py" "$CONFIG" --launcher pytorch "$@"
