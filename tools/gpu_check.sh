#!/usr/bin/env bash
# One-command check of a CUDA machine set up as in the README's CUDA section
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
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

if [ "$SMOKE" = 1 ]; then
  export CUDA_VISIBLE_DEVICES=''
  DEVICE=cpu
else
  if ! "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "gpu_check: no CUDA device visible to $PYTHON's torch: run it on a GPU machine set up as in the README's CUDA section (or --cpu-smoke to check the script here)" >&2
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
  BATCHES=(2 3); VIEWS=(64 64 32); STEPS=(--steps 1 --warmup 0)
  LOADER_WORKERS=(1 2); LOADER=(--batch 2 --samples 4)
  ITERS=2; TRAIN_BATCH=2; TRAIN_WORKERS=0; LOG_EVERY=1
  PROP_WORKERS=1; MODES=(assigned_level)
else
  CONFIG="$REPO/configs/soco_r50_fpn.py"; AMP=(--amp)
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

# 5. a short pretraining run
cat > "$RUN/pretrain_cfg.py" <<EOF
# written by tools/gpu_check.sh: $ITERS iterations of $(basename "$CONFIG")
# on the check's images; LR as given (no batch/256 scaling), 10% linear
# warm-up then cosine, like the demo config's short run.
_base_ = ['$CONFIG']
max_iters = $ITERS
warmup = max(1, max_iters // 10)
train_dataloader = dict(
    batch_size=$TRAIN_BATCH, num_workers=$TRAIN_WORKERS,
    persistent_workers=$([ "$TRAIN_WORKERS" -gt 0 ] && echo True || echo False),
    pin_memory=$([ "$DEVICE" = cuda ] && echo True || echo False),
    sampler=dict(_delete_=True, type='SeededInfiniteSampler', shuffle=True),
    dataset=dict(data_root='$IMAGES', proposals='$PROPOSALS', build_demo=False))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
auto_scale_lr = dict(enable=False)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=warmup),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup, eta_min=1e-6,
         by_epoch=False, begin=warmup, end=max_iters),
]
default_hooks = dict(
    logger=dict(interval=$LOG_EVERY),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
EOF
step pretrain 400 "$PYTHON" "$REPO/tools/train.py" "$RUN/pretrain_cfg.py" \
  --work-dir "$RUN/pretrain" "${AMP[@]}"

# the table
"$PYTHON" - "$RUN" "$SMOKE" "$DEVICE" "$IMAGES" "$PROP_WORKERS" <<'EOF'
import glob, json, os, re, sys, time
run, smoke, device, images, prop_workers = (
    sys.argv[1], sys.argv[2] == '1', *sys.argv[3:])
rows = [json.loads(line) for line in open(os.path.join(run, 'results.jsonl'))]
steps = {r['name']: r for r in rows if r['check'] == 'step'}


def log_tail(name, n=1):
    lines = open(os.path.join(run, f'{name}.log')).read().strip().splitlines()
    return lines[-n:] if lines else ['(no output)']


def status(name):
    return 'ok' if steps[name]['rc'] == 0 else f'FAIL (rc {steps[name]["rc"]})'


table, failed = [], False
def add(check, setting, result, ok):
    global failed
    failed |= not ok.startswith('ok')
    table.append(f'| {check} | {setting} | {result} | {ok} |')


add('tests/integration/test_cuda.py', 'pytest', log_tail('test_cuda')[0].strip('= '),
    status('test_cuda'))
ts = [r for r in rows if r['check'] == 'train_step']
for r in ts:
    setting = (f'{r["config"]}, {r["pool_mode"]}, batch {r["batch"]}, '
               f'{"AMP fp16" if r["amp"] else "fp32"}')
    if 'error' in r:
        add('train step', setting, r['error'], 'FAIL')
    else:
        gpu = r['device'].startswith('cuda')
        add('train step', setting,
            f'{r["images_per_s"]:.1f} images/s{"/GPU" if gpu else ""}, '
            f'{r["s_per_step"]:.3f} s/step, '
            f'peak {"GPU" if gpu else "RSS"} {r["peak_mib"]:.0f} MiB', 'ok')
if not ts:
    add('train step', '', log_tail('train_step')[0], status('train_step'))
prop_log = ' '.join(log_tail('proposals', 5))
found = re.search(r'(\d+) images, ([\d.]+) boxes/img', prop_log)
add('proposals', f'{images}, {prop_workers} workers',
    (f'{steps["proposals"]["seconds"]} s, {found[1]} images, '
     f'{found[2]} boxes/img') if found else
    ('reused from an earlier run' if 'complete' in prop_log
     else log_tail('proposals')[0][:120]), status('proposals'))
dl = [r for r in rows if r['check'] == 'data_loader']
for r in dl:
    add('data loader', f'{r["workers"]} workers, batch {r["batch"]}, '
        f'{r["images"]} images',
        f'{r["samples_per_s"]:.0f} samples/s (first batch {r["first_batch_s"]:.1f} s)',
        'ok')
if not dl:
    add('data loader', '', log_tail('data_loader')[0], status('data_loader'))
losses = []
for path in sorted(glob.glob(os.path.join(run, 'pretrain', '*', 'vis_data',
                                          'scalars.json'))):
    for line in open(path):
        rec = json.loads(line)
        if 'loss' in rec and 'iter' in rec:
            losses.append((rec['iter'], rec['loss']))
if steps['pretrain']['rc'] != 0 or len(losses) < 2:
    add('pretraining', '', log_tail('pretrain')[0][:120], 'FAIL')
else:
    k = max(1, len(losses) // 5)
    first = sum(l for _, l in losses[:k]) / k
    last = sum(l for _, l in losses[-k:]) / k
    falls = last < first
    add('pretraining', f'{losses[-1][0]} iterations, {steps["pretrain"]["seconds"]} s',
        f'loss {first:.3f} -> {last:.3f} (mean of first / last {k} logged)',
        'ok' if falls else ('ok (smoke: not required)' if smoke else 'FAIL: loss did not fall'))

import torch
where = (f'{torch.cuda.get_device_name()} (CUDA {torch.version.cuda})'
         if device == 'cuda' else f'CPU, {os.cpu_count()} cores')
head = [f'tools/gpu_check.sh{" --cpu-smoke" if smoke else ""}, '
        f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, {where}, '
        f'torch {torch.__version__}', '',
        '| check | setting | result | status |', '|---|---|---|---|']
text = '\n'.join(head + table) + '\n'
with open(os.path.join(run, 'table.md'), 'w') as f:
    f.write(text)
print('\n' + text + f'\nsaved: {os.path.join(run, "table.md")}')
sys.exit(1 if failed else 0)
EOF
