"""Where a run may write: an output that is, contains or (for a scanned
folder) lies inside the image root is refused, and so is an existing path
(or work folder) that this tool did not make."""
import os.path as osp

from mmsoco.image_set import is_below
from mmsoco.proposals.store.publish import check_replaceable
from .workdir import WorkDir


def check_output(out_path: str, root: str, scanned: bool,
                 overwrite: bool = False) -> None:
    """Refuse an output that could clobber the images or other user data.

    Raises ValueError (one line, naming the path and the fix) when
    ``out_path`` is the image root, contains it, or (when ``scanned``, i.e.
    the root is a folder searched recursively) lies inside it; raises
    FileExistsError when it, or its work folder, exists and is not ours.
    """
    out = osp.realpath(out_path)
    real_root = osp.realpath(root)
    fix = 'choose an output path outside the image folder'
    if out == real_root:
        raise ValueError(f'output {out_path} is the image root {root}; {fix}')
    if is_below(real_root, out):
        raise ValueError(f'output {out_path} contains the image root {root};'
                         f' {fix}')
    if scanned and is_below(out, real_root):
        raise ValueError(f'output {out_path} is inside the image folder '
                         f'{root}, which is searched recursively; {fix}')
    check_replaceable(out_path, replacing=overwrite)
    WorkDir(out_path).check_not_foreign()


__all__ = ['check_output']
