"""Decisions of tools/setup_env.sh that need Python, kept here to be tested.

    python tools/setup_env_checks.py torch-ok SPEC WANT_CUDA   # exit 0 / 1
    python tools/setup_env_checks.py key MMCV_VERSION          # prints KEY
    python tools/setup_env_checks.py mmcv-ok MMCV_VERSION KEY MARKER

``WANT_CUDA`` is 1 when the user asked for CUDA (``FORCE_CUDA=1`` or a CUDA
``TORCH_INDEX_URL``): a CPU build of torch then no longer counts as
installed, so switching an existing CPU ``.venv`` to CUDA reinstalls torch.
``KEY`` names the mmcv build (mmcv, torch, Python, cpu / cu<version>); the
installed mmcv counts only when it was built for that key, read from
``MARKER`` (written by the script after installing the wheel) or, for a
``.venv`` made before markers existed, inferred from mmcv's compiled ops.
"""
import os
import sys


def want_cuda(environ=None) -> bool:
    import re
    env = os.environ if environ is None else environ
    return env.get('FORCE_CUDA') == '1' or bool(
        re.search(r'/cu\d+', env.get('TORCH_INDEX_URL', '')))


def torch_ok(spec: str, cuda_wanted: bool) -> bool:
    from packaging.requirements import Requirement
    try:
        import torch
    except ImportError:
        return False
    version = torch.__version__.split('+')[0]
    if not Requirement(spec).specifier.contains(version, prereleases=True):
        return False
    return bool(torch.version.cuda) or not cuda_wanted


def build_key(mmcv_version: str, environ=None) -> str:
    import torch
    env = os.environ if environ is None else environ
    cuda = torch.version.cuda and (torch.cuda.is_available() or
                                   env.get('FORCE_CUDA') == '1')
    variant = f'cu{torch.version.cuda}' if cuda else 'cpu'
    return (f'mmcv-{mmcv_version}_torch-{torch.__version__}_cp'
            f'{sys.version_info[0]}{sys.version_info[1]}_{variant}')


def installed_mmcv_variant() -> str:
    """'cpu' or 'cu<version>' of the installed mmcv's compiled ops."""
    from mmcv.ops import get_compiling_cuda_version
    cuda = get_compiling_cuda_version()
    return 'cpu' if cuda in ('not available', '', None) else f'cu{cuda}'


def mmcv_ok(mmcv_version: str, key: str, marker: str) -> bool:
    try:
        import mmcv
        import mmcv.ops  # noqa: F401
    except Exception:
        return False
    if mmcv.__version__ != mmcv_version:
        return False
    if os.path.isfile(marker):
        with open(marker) as f:
            return f.read().strip() == key
    try:  # a .venv from before the marker: trust the compiled ops
        return key.rsplit('_', 1)[1] == installed_mmcv_variant()
    except Exception:
        return False


def main(argv) -> int:
    cmd, args = argv[1], argv[2:]
    if cmd == 'torch-ok':
        return 0 if torch_ok(args[0], args[1] == '1') else 1
    if cmd == 'want-cuda':
        return 0 if want_cuda() else 1
    if cmd == 'key':
        print(build_key(args[0]))
        return 0
    if cmd == 'mmcv-ok':
        return 0 if mmcv_ok(*args) else 1
    print(f'unknown command {cmd!r}', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
