#!/usr/bin/env bash
# Selective-search proposals on a Slurm cluster: NTASKS tasks, each computing
# one shard of the images with CPUS_PER_TASK worker processes, then one merge
# step that assembles OUT (identical to a single-node run):
#
#   tools/slurm_proposals.sh PARTITION IMAGE_ROOT OUT [generate_proposals.py args...]
#
# Task i runs, on its node:
#   python tools/generate_proposals.py IMAGE_ROOT OUT \
#       --shard $SLURM_PROCID/$SLURM_NTASKS --workers $SLURM_CPUS_PER_TASK [args]
# and once every task has finished:
#   python tools/generate_proposals.py IMAGE_ROOT OUT --merge [args]
#
# Env:
#   NTASKS (2)          shards = srun tasks; typically one task per node
#   CPUS_PER_TASK (16)  cores per task = --workers of each task
#   TASKS_PER_NODE      --ntasks-per-node (unset: Slurm places the tasks)
#   MEM_PER_CPU         --mem-per-cpu, e.g. 2G: each worker holds about 100
#                       bytes per pixel of the largest image (docs/scaling.md)
#   JOB_NAME (proposals), SRUN_ARGS (extra srun options for both steps),
#   PYTHON (python)     the interpreter, e.g. .venv/bin/python
# A task that dies (killed, node lost, time limit) leaves its finished chunks
# in OUT.work/; the launcher then stops before merging, and rerunning the same
# command recomputes only what is missing. See docs/scaling.md for how to size
# the allocation.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PARTITION IMAGE_ROOT OUT [generate_proposals.py args...]" >&2
  exit 2
fi
PARTITION=$1
IMAGE_ROOT=$2
OUT=$3
shift 3
NTASKS=${NTASKS:-2}
CPUS_PER_TASK=${CPUS_PER_TASK:-16}
JOB_NAME=${JOB_NAME:-proposals}
SRUN_ARGS=${SRUN_ARGS:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python}
TOOL="$HERE/generate_proposals.py"
for v in NTASKS CPUS_PER_TASK ${TASKS_PER_NODE:+TASKS_PER_NODE}; do
  if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
    echo "error: $v=${!v} must be a whole number >= 1" >&2; exit 2
  fi
done
for a in "$@"; do
  case "$a" in
    --shard|--shard=*|--merge|--workers|--workers=*)
      echo "error: $a is set by the launcher (NTASKS, CPUS_PER_TASK); leave it out" >&2
      exit 2 ;;
  esac
done

OPTS=(--partition="$PARTITION" --job-name="$JOB_NAME")
[ -n "${MEM_PER_CPU:-}" ] && OPTS+=(--mem-per-cpu="$MEM_PER_CPU")
SHARD_OPTS=("${OPTS[@]}" --ntasks="$NTASKS" --cpus-per-task="$CPUS_PER_TASK")
[ -n "${TASKS_PER_NODE:-}" ] && SHARD_OPTS+=(--ntasks-per-node="$TASKS_PER_NODE")

# Each task expands its own SLURM_PROCID; the tasks write disjoint shards of
# OUT.work/ and none of them builds the store.
# shellcheck disable=SC2016,SC2086
if ! srun "${SHARD_OPTS[@]}" $SRUN_ARGS bash -c \
    'exec "$@" --shard "$SLURM_PROCID/$SLURM_NTASKS" --workers "${SLURM_CPUS_PER_TASK:-'"$CPUS_PER_TASK"'}"' \
    slurm_proposals "$PYTHON" -u "$TOOL" "$IMAGE_ROOT" "$OUT" "$@"; then
  echo "slurm_proposals: a shard task failed (messages above); finished chunks are kept in $OUT.work/: rerun the same command to compute only what is missing" >&2
  exit 1
fi
# shellcheck disable=SC2086
exec srun "${OPTS[@]}" --ntasks=1 --cpus-per-task=1 $SRUN_ARGS \
    "$PYTHON" -u "$TOOL" "$IMAGE_ROOT" "$OUT" --merge "$@"
