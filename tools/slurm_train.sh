#!/usr/bin/env bash
# Usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py arguments]
# Environment: GPUS (total, default 4), GPUS_PER_NODE (default 4),
# CPUS_PER_TASK (default 5), SRUN_ARGS.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
REPO="$(cd "$(dirname "$0")/.." && pwd)"
# The selected stack's venv when there is one (tools/setup_env.sh), else PATH's.
VENV_PYTHON="$(bash "$REPO/tools/venv_dir.sh")/bin/python"
PYTHON=${PYTHON:-$([[ -x "$VENV_PYTHON" ]] && echo "$VENV_PYTHON" || echo python)}
PYTHONPATH="$REPO:${PYTHONPATH:-}" \
srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
    "$PYTHON" -u "$REPO/tools/train.py" "$CONFIG" --launcher slurm "$@"
