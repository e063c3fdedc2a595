#!/usr/bin/env bash
# One-command check of a CUDA machine set up as in docs/install.md's CUDA section
# (about 10 minutes on one GPU). It runs, in order:
#   1. tests/integration/test_cuda.py (mmcv CUDA ops, GPU losses equal to CPU ones, AMP)
#   2. benchmarks/train_step.py: SoCo R50-FPN, fp16 AMP, batch 32 and 64
#      (images/s per GPU, peak GPU memory)
#   3. selective-search proposals for the images (cached for reruns)
#   4. benchmarks/data_loader.py: SoCo views with 8 and 16 loader workers
#      (samples/s: do the views keep up with the GPU?)
#   5. tools/train.py: 200 iterations of SoCo R50-FPN pretraining with AMP on
#      those images; the loss must fall
# then prints one table and saves it with every log under the run folder.
#
#   tools/gpu_check.sh [--cpu-smoke] [--images DIR] [--work-dir DIR]
#
# --images  image folder (default: $MMSOCO_COCO_TINY/train2017, where
#           MMSOCO_COCO_TINY defaults to ../shared/data/coco_tiny)
# --work-dir   where runs go (default work_dirs/gpu_check): each run writes a
#           new WORK_DIR/<UTC time>/ (table.md, results.jsonl, logs); the
#           proposals of an image folder are kept in WORK_DIR/proposals-*
#           for the next run
# --cpu-smoke  every step tiny, on the CPU (CUDA hidden): checks the script's
#           plumbing on any machine in about a minute; its numbers mean nothing
# Env: PYTHON (default .venv/bin/python if present, else python).
# Exit status: 0 when every check passed, 1 when one failed, 2 on bad input
# or without CUDA.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SMOKE=0
WORK="work_dirs/gpu_check"
COCO=${MMSOCO_COCO_TINY:-$REPO/../shared/data/coco_tiny}
IMAGES="$COCO/train2017"
while [ $# -gt 0 ]; do
  case $1 in
    --cpu-smoke) SMOKE=1 ;;
    --images) IMAGES=${2:?--images needs a folder}; shift ;;
    --work-dir) WORK=${2:?--work-dir needs a folder}; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "gpu_check: unknown argument $1 (see $0 --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python
  [ -x "$REPO/.venv/bin/python" ] && PYTHON="$REPO/.venv/bin/python"
fi

if [ "$SMOKE" = 1 ]; then
  export CUDA_VISIBLE_DEVICES=''
  DEVICE=cpu
else
  if ! "$PYTHON" -m mmsoco.utils.gpu_check cuda 2>/dev/null; then
    echo "gpu_check: no CUDA device visible to $PYTHON's torch: run it on a GPU machine set up as in docs/install.md's CUDA section (or --cpu-smoke to check the script here)" >&2
    exit 2
  fi
  DEVICE=cuda
fi
if [ ! -d "$IMAGES" ]; then
  echo "gpu_check: image folder $IMAGES not found: set MMSOCO_COCO_TINY to coco_tiny (train2017/ inside) or pass --images DIR" >&2
  exit 2
fi
IMAGES=$(cd "$IMAGES" && pwd)
mkdir -p "$WORK" || exit 2
WORK=$(cd "$WORK" && pwd)
RUN="$WORK/$(date -u +%Y%m%d_%H%M%S)"
mkdir -p "$RUN"
RESULTS="$RUN/results.jsonl"
: > "$RESULTS"

if [ "$SMOKE" = 1 ]; then
  CONFIG="$REPO/configs/soco_r18_fpn_1xb4-12iter_demo.py"; AMP=()
  # the demo config builds its embedded images unless told otherwise
  DATA_OPTIONS=(train_dataloader.dataset.build_demo=False)
  BATCHES=(2 3); VIEWS=(64 64 32); STEPS=(--steps 1 --warmup 0)
  LOADER_WORKERS=(1 2); LOADER=(--batch 2 --samples 4)
  ITERS=2; TRAIN_BATCH=2; TRAIN_WORKERS=0; LOG_EVERY=1
  PROP_WORKERS=1; MODES=(assigned_level)
else
  CONFIG="$REPO/configs/soco_r50_fpn.py"; AMP=(--amp); DATA_OPTIONS=()
  BATCHES=(32 64); VIEWS=(224 224 112); STEPS=(--steps 10 --warmup 3)
  LOADER_WORKERS=(8 16); LOADER=(--batch 32 --samples 4096)
  ITERS=200; TRAIN_BATCH=32; TRAIN_WORKERS=8; LOG_EVERY=10
  PROP_WORKERS=$(nproc); [ "$PROP_WORKERS" -gt 16 ] && PROP_WORKERS=16
  MODES=(all_levels assigned_level)
fi

note() { printf '%s\n' "$*" >> "$RESULTS"; }
step() {  # step NAME LIMIT_S CMD...: runs CMD, logs to RUN/NAME.log
  local name=$1 limit=$2; shift 2
  echo "gpu_check: $name ..." >&2
  local start=$SECONDS
  timeout "$limit" "$@" > "$RUN/$name.log" 2>&1
  local rc=$?
  note "{\"check\": \"step\", \"name\": \"$name\", \"rc\": $rc, \"seconds\": $((SECONDS - start))}"
  [ $rc -eq 124 ] && echo "gpu_check: $name stopped after ${limit} s (log: $RUN/$name.log)" >&2
  return $rc
}

# 1. the CUDA tests (all skip in the smoke run: CUDA is hidden)
step test_cuda 300 "$PYTHON" -m pytest -q -p no:cacheprovider "$REPO/tests/integration/test_cuda.py"

# 2. train step
step train_step 300 "$PYTHON" "$REPO/benchmarks/train_step.py" --config "$CONFIG" \
  --device "$DEVICE" "${AMP[@]}" --batch "${BATCHES[@]}" --views "${VIEWS[@]}" \
  "${STEPS[@]}" --pool-modes "${MODES[@]}" --json "$RESULTS"

# 3. proposals (reused when the same images were done before)
PROPOSALS="$WORK/proposals-$(basename "$IMAGES")-$(printf '%s' "$IMAGES" | cksum | cut -d' ' -f1)"
step proposals 300 "$PYTHON" "$REPO/tools/generate_proposals.py" "$IMAGES" \
  "$PROPOSALS" --workers "$PROP_WORKERS" --chunk-size 8

# 4. data loader
step data_loader 300 "$PYTHON" "$REPO/benchmarks/data_loader.py" --images "$IMAGES" \
  --proposals "$PROPOSALS" --config "$CONFIG" --workers "${LOADER_WORKERS[@]}" \
  "${LOADER[@]}" --json "$RESULTS"

# 5. a short pretraining run: the config's run rescaled to $ITERS iterations
# by tools/train.py --iters (warm-up and cosine keep their shares), on the
# check's images, with the LR as given (no batch/256 scaling); checkpoint
# interval -1: no periodic save, so the rescaled run saves once, at its end
PERSISTENT=False; [ "$TRAIN_WORKERS" -gt 0 ] && PERSISTENT=True
PIN=False; [ "$DEVICE" = cuda ] && PIN=True
step pretrain 400 "$PYTHON" "$REPO/tools/train.py" "$CONFIG" --iters "$ITERS" \
  --work-dir "$RUN/pretrain" "${AMP[@]}" --cfg-options \
  train_dataloader.batch_size="$TRAIN_BATCH" \
  train_dataloader.num_workers="$TRAIN_WORKERS" \
  train_dataloader.persistent_workers="$PERSISTENT" \
  train_dataloader.pin_memory="$PIN" \
  train_dataloader.sampler.type=SeededInfiniteSampler \
  train_dataloader.dataset.data_root="$IMAGES" \
  train_dataloader.dataset.proposals="$PROPOSALS" "${DATA_OPTIONS[@]}" \
  auto_scale_lr.enable=False default_hooks.logger.interval="$LOG_EVERY" \
  default_hooks.checkpoint.interval=-1 default_hooks.checkpoint.max_keep_ckpts=1

# the table
SMOKE_FLAG=(); [ "$SMOKE" = 1 ] && SMOKE_FLAG=(--smoke)
"$PYTHON" -m mmsoco.utils.gpu_check table "$RUN" --device "$DEVICE" \
  --images "$IMAGES" --proposal-workers "$PROP_WORKERS" "${SMOKE_FLAG[@]}"
