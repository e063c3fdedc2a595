#!/usr/bin/env bash
# One-command setup of mmsoco and its pinned OpenMMLab stack:
#
#     bash tools/setup_env.sh
#
# Creates (or reuses) .venv at the repository root and installs torch, mmcv
# 2.0.1 compiled with its ops against that torch, mmengine, mmcls, mmselfsup,
# mmdet and mmsoco itself (editable). The compiled mmcv wheel is cached under
# $MMSOCO_CACHE (default ~/.cache/mmsoco), keyed by mmcv, torch, Python and
# CPU/CUDA, so a second run takes seconds instead of ~25 minutes.
#
# Environment knobs:
#   PYTHON            interpreter for a new .venv (default: python3.11, python3)
#   TORCH_SPEC        pip requirement for torch (default: torch==2.13.0)
#   TORCH_INDEX_URL   extra index for torch, e.g. a CUDA wheel index
#   FORCE_CUDA=1      build mmcv's CUDA ops even where no GPU is visible (and,
#                     like a CUDA TORCH_INDEX_URL, replace a CPU torch in an
#                     existing .venv; mmcv is then rebuilt for the new torch)
#   MMCV_JOBS         parallel compile jobs for mmcv (default: nproc)
#   MMSOCO_CACHE      where built wheels are cached (default: ~/.cache/mmsoco)
#   MMSOCO_MIN_FREE_GB  free disk required before starting (default: 4)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO/.venv"
CACHE="${MMSOCO_CACHE:-$HOME/.cache/mmsoco}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
MMCV_VERSION=2.0.1
STACK=(mmengine==0.10.7 mmcls==1.0.0rc6 mmselfsup==1.0.0 mmdet==3.3.0)
RUNTIME_SETUPTOOLS='setuptools>=77.0.3,<82'  # torch needs >=77; mmengine needs pkg_resources (<82)
BUILD_SETUPTOOLS='setuptools<70'            # mmcv 2.0.1's setup.py needs the old pkg_resources

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- preflight
pick_python() {
  if [ -x "$VENV/bin/python" ]; then echo "$VENV/bin/python"; return; fi
  for c in "${PYTHON:-}" python3.11 python3.10 python3.9 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return; }
  done
  die "no Python found; install Python 3.9-3.11 and rerun (or set PYTHON=/path/to/python3.11)"
}
PY=$(pick_python)
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$PYVER" in
  3.9|3.10|3.11) ;;
  *) die "Python $PYVER ($PY) is not supported: mmcv 2.0.1 builds for Python 3.9-3.11. Install python3.11 and rerun, or set PYTHON=/path/to/python3.11 (remove .venv first if it was made with another Python)." ;;
esac
command -v "${CXX:-g++}" >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1 || \
  die "no C++ compiler found: mmcv's ops are compiled from source. Install one (Debian/Ubuntu: apt-get install g++) and rerun."
mkdir -p "$CACHE"
free_gb() { df -Pk "$1" | awk 'NR==2 {printf "%d", $4/1048576}'; }
MIN_FREE_GB=${MMSOCO_MIN_FREE_GB:-4}
for d in "$REPO" "$CACHE"; do
  [ "$(free_gb "$d")" -ge "$MIN_FREE_GB" ] || die "less than $MIN_FREE_GB GB free on the disk of $d: torch and the mmcv build need about 4 GB. Free some space (or point MMSOCO_CACHE elsewhere) and rerun."
done

# ---------------------------------------------------------------- venv + torch
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $PY (Python $PYVER)"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
pip_q() { "$VPY" -m pip install -q --disable-pip-version-check "$@" 2>&1 | grep -v '^WARNING: Location' || true; }
pip_strict() {
  local log; log=$(mktemp)
  if ! "$VPY" -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1; then
    grep -v '^WARNING: Location' "$log" >&2; rm -f "$log"; die "pip install $* failed (output above)"
  fi
  rm -f "$log"
}

CHECKS="$REPO/tools/setup_env_checks.py"  # the Python-side decisions (tested)
# CUDA asked for (FORCE_CUDA=1 or a CUDA wheel index): a CPU torch in an
# existing .venv then does not count as installed and is replaced.
WANT_CUDA=0
if "$VPY" "$CHECKS" want-cuda; then WANT_CUDA=1; fi
torch_ok() { "$VPY" "$CHECKS" torch-ok "$TORCH_SPEC" "$WANT_CUDA" 2>/dev/null; }
pip_strict "$RUNTIME_SETUPTOOLS" wheel packaging ninja numpy
if torch_ok; then
  say "torch already installed: $("$VPY" -c 'import torch; print(torch.__version__)')"
else
  if [ "$WANT_CUDA" = 1 ] && "$VPY" -c 'import torch' >/dev/null 2>&1; then
    say "replacing torch $("$VPY" -c 'import torch; print(torch.__version__)') (no CUDA) by a CUDA build"
    "$VPY" -m pip uninstall -y -q torch >/dev/null 2>&1 || true
  fi
  say "installing $TORCH_SPEC"
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    pip_strict "$TORCH_SPEC" --extra-index-url "$TORCH_INDEX_URL"
  else
    pip_strict "$TORCH_SPEC"
  fi
fi

# ---------------------------------------------------------------- mmcv with ops
KEY=$("$VPY" "$CHECKS" key "$MMCV_VERSION")  # mmcv, torch, Python, cpu|cu<ver>
WHEEL_DIR="$CACHE/wheels/$KEY"
MARKER="$VENV/.mmcv-build-key"  # which build the installed mmcv is
mmcv_ok() { "$VPY" "$CHECKS" mmcv-ok "$MMCV_VERSION" "$KEY" "$MARKER" >/dev/null 2>&1; }

build_mmcv() {
  local work; work=$(mktemp -d)
  say "building mmcv $MMCV_VERSION with ops for $KEY (about 25 minutes on 2 cores; cached afterwards)"
  pip_strict "$BUILD_SETUPTOOLS"
  "$VPY" -m pip download -q --no-deps --no-build-isolation --no-binary :all: \
      "mmcv==$MMCV_VERSION" -d "$work" 2>&1 | grep -v '^WARNING: Location' || true
  tar -xzf "$work/mmcv-$MMCV_VERSION.tar.gz" -C "$work"
  # mmcv 2.0.1 hard-codes C++14; torch >= 2.1 headers need C++17.
  sed -i 's/c++14/c++17/g' "$work/mmcv-$MMCV_VERSION/setup.py"
  ( cd "$work/mmcv-$MMCV_VERSION" && \
    MMCV_WITH_OPS=1 MAX_JOBS="${MMCV_JOBS:-$(nproc)}" \
    "$VPY" -m pip wheel -q --no-build-isolation --no-deps . -w "$work/dist" ) \
    > "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; die "mmcv build failed; full log: $work/build.log"; }
  mkdir -p "$WHEEL_DIR.tmp.$$"
  cp "$work"/dist/mmcv-*.whl "$WHEEL_DIR.tmp.$$/"
  rm -rf "$WHEEL_DIR" && mv "$WHEEL_DIR.tmp.$$" "$WHEEL_DIR"   # atomic: a cache entry is whole or absent
  rm -rf "$work"
  pip_strict "$RUNTIME_SETUPTOOLS"
}

if mmcv_ok; then
  say "mmcv $MMCV_VERSION with ops already installed ($KEY)"
else
  ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1 || build_mmcv
  say "installing cached $(basename "$WHEEL_DIR"/mmcv-*.whl) ($KEY)"
  pip_strict --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
fi
echo "$KEY" > "$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"

# ---------------------------------------------------------------- the stack + mmsoco
say "installing ${STACK[*]} and mmsoco (editable)"
pip_strict "$RUNTIME_SETUPTOOLS" "${STACK[@]}" "mmcv==$MMCV_VERSION" -e "$REPO[tests]" --no-build-isolation

"$VPY" -c "import mmsoco, mmdet, mmselfsup, mmcv.ops, torch; print('[setup] ok: torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, '| mmselfsup', mmselfsup.__version__, '| mmsoco', mmsoco.__version__)"
say "done. Activate with: source .venv/bin/activate"
