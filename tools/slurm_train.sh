#!/usr/bin/env bash
# Training under Slurm, one task per GPU (or per CPU process without CUDA):
#
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args...]
#
# Env (mmdet's conventions):
#   GPUS (8)           tasks in all (one per GPU)
#   GPUS_PER_NODE (8)  GPUs per node: requests --gres=gpu:GPUS_PER_NODE and
#                      that many tasks per node; 0 on a CPU cluster (no gres)
#   TASKS_PER_NODE     tasks per node (default GPUS_PER_NODE; with
#                      GPUS_PER_NODE=0, unset lets Slurm place the tasks)
#   GRES               overrides the gres request, e.g. gpu:a100:8; set it
#                      empty (GRES=) to request none
#   CPUS_PER_TASK (5), SRUN_ARGS (extra srun options),
#   PORT               master port (exported as MASTER_PORT; default
#                      MASTER_PORT or 29500)
#   PYTHON (python)    the interpreter, e.g. .venv/bin/python
# The GPU request comes from these variables, never from the submitting
# host, which on most clusters has no GPU.
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py args...]" >&2; exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python}
for v in GPUS GPUS_PER_NODE CPUS_PER_TASK ${TASKS_PER_NODE:+TASKS_PER_NODE}; do
  if ! [[ ${!v} =~ ^[0-9]+$ ]]; then
    echo "error: $v=${!v} must be a whole number" >&2; exit 2
  fi
done
if [ -z "${GRES+set}" ]; then
  GRES=""
  [ "$GPUS_PER_NODE" -gt 0 ] && GRES="gpu:${GPUS_PER_NODE}"
fi
if [ -z "${TASKS_PER_NODE:-}" ] && [ "$GPUS_PER_NODE" -gt 0 ]; then
  TASKS_PER_NODE=$GPUS_PER_NODE
fi
export MASTER_PORT=${PORT:-${MASTER_PORT:-29500}}

SLURM_OPTS=(-p "$PARTITION" --job-name="$JOB_NAME" --ntasks="$GPUS")
[ -n "$GRES" ] && SLURM_OPTS+=(--gres="$GRES")
[ -n "${TASKS_PER_NODE:-}" ] && SLURM_OPTS+=(--ntasks-per-node="$TASKS_PER_NODE")
SLURM_OPTS+=(--cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1)

# shellcheck disable=SC2086
exec srun "${SLURM_OPTS[@]}" $SRUN_ARGS \
    "$PYTHON" -u "$HERE/train.py" "$CONFIG" --work-dir="$WORK_DIR" --launcher slurm "$@"
