"""What a proposals run is asked to do: checked parameters, the image set,
the settings a store depends on, and the exact
command line to suggest in messages."""
import hashlib
import math
import os.path as osp
import shlex
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple, Union

from mmsoco.proposals.algorithm.filters import FilterSpec

# One worker decodes and segments an image in about 100 bytes per pixel
# (measured, see docs/proposals.md): 16 MP keeps it under ~2 GB.
DEFAULT_MAX_PIXELS = 16_000_000
TOOL = 'python tools/generate_proposals.py'
# option -> (CLI flag, default) for the commands suggested in messages
_FLAGS = dict(image_root=('--image-root', None),
              filter=('--filter', 'ratio3size0308'),
              chunk_size=('--chunk-size', 256), scale=('--scale', 300.0),
              sigma=('--sigma', 0.9), min_size=('--min-size', 100),
              neighbours=('--neighbours', 'touch_or_overlap'),
              max_pixels=('--max-pixels', DEFAULT_MAX_PIXELS))


def check_params(scale, sigma, min_size, chunk_size, workers, max_pixels,
                 max_chunks=None, shard=None) -> None:
    """Raise ValueError (one line naming the option) for a value that
    cannot work."""
    rules = [('scale', '--scale', scale, scale > 0, '> 0'),
             ('sigma', '--sigma', sigma, sigma > 0, '> 0'),
             ('scale', '--scale', scale, math.isfinite(scale), 'finite'),
             ('sigma', '--sigma', sigma, math.isfinite(sigma), 'finite'),
             ('min_size', '--min-size', min_size, min_size >= 0, '>= 0'),
             ('chunk_size', '--chunk-size', chunk_size, chunk_size >= 1,
              '>= 1'),
             ('workers', '--workers', workers, workers >= 0, '>= 0'),
             ('max_pixels', '--max-pixels', max_pixels,
              max_pixels >= 4096, '>= 4096')]
    if max_chunks is not None:
        rules.append(('max_chunks', '--max-chunks', max_chunks,
                      max_chunks >= 1, '>= 1'))
    for name, flag, value, ok, need in rules:
        if not ok:
            raise ValueError(f'{flag} ({name}) must be {need}, got {value}')
    if shard is not None:
        i, n = shard
        if not (n >= 1 and 0 <= i < n):
            raise ValueError(f'--shard I/N needs 0 <= I < N (shards are '
                             f'numbered from 0), got {i}/{n}')


def parse_shard(text: str) -> Tuple[int, int]:
    """'I/N' -> (I, N) (ValueError otherwise)."""
    i, sep, n = text.partition('/')
    if not sep or not i.strip().isdigit() or not n.strip().isdigit():
        raise ValueError(f'--shard takes I/N (e.g. 0/4: the first of 4 '
                         f'shards), got {text!r}')
    shard = (int(i), int(n))
    check_params(1, 1, 0, 1, 1, 4096, shard=shard)
    return shard


def shard_chunks(num_chunks: int, i: int, n: int) -> range:
    """The chunks of shard ``i`` of ``n``: a contiguous block in key order;
    the shares differ by at most one chunk."""
    return range(num_chunks * i // n, num_chunks * (i + 1) // n)


@dataclass
class Job:
    """One run's inputs, resolved: the images, the settings, the output."""
    source: Union[str, Sequence[str]]
    out: str
    root: str
    keys: List[str]
    spec: FilterSpec
    params: dict  # selective-search parameters and max_pixels
    chunk_size: int
    options: dict = field(default_factory=dict)  # as given, for commands
    skipped: List[Tuple[str, str]] = field(default_factory=list)

    @property
    def chunks(self) -> List[List[str]]:
        n = self.chunk_size
        return [self.keys[i:i + n] for i in range(0, len(self.keys), n)]

    def settings(self) -> dict:
        """Everything the work folder depends on (the store: all but the
        chunk size, which only splits the work)."""
        digest = hashlib.sha256(
            '\n'.join(self.keys).encode('utf-8')).hexdigest()
        return dict(image_root=osp.abspath(self.root),
                    num_images=len(self.keys), keys_sha256=digest,
                    chunk_size=self.chunk_size, filter=self.spec.name,
                    stages=[repr(s) for s in self.spec.stages],
                    **self.params)

    def store_settings(self) -> dict:
        return {k: v for k, v in self.settings().items()
                if k != 'chunk_size'}

    def command(self, *extra: str, out: Optional[str] = None) -> str:
        """The command line that runs this job (with ``extra`` flags), or
        the Python call when the images were given as a list."""
        if not isinstance(self.source, str):
            kw = ', '.join(f'{a.lstrip("-").replace("-", "_")}=True'
                           for a in extra)
            return f'generate_store(..., {kw})' if kw else \
                'generate_store(...) with the same arguments'
        args = [self.source, out or self.out]
        for name, (flag, default) in _FLAGS.items():
            value = self.options.get(name, default)
            if value is not None and value != default:
                args += [flag, str(value)]
        return ' '.join([TOOL] + [shlex.quote(a) for a in args] +
                        list(extra))

    def free_output(self) -> str:
        """A sibling of the output that does not exist yet."""
        base = self.out.rstrip('/')
        for i in range(2, 1000):
            if not osp.lexists(f'{base}-{i}') and \
                    not osp.lexists(f'{base}-{i}.work'):
                return f'{base}-{i}'
        return base + '-new'


def diff(old: dict, new: dict) -> List[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


__all__ = ['check_params', 'parse_shard', 'shard_chunks',
           'Job', 'diff', 'DEFAULT_MAX_PIXELS', 'TOOL']
