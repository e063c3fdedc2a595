# The old name of soco_r18_fpn_1xb4-12iter_demo.py,
# kept for one release (mm's naming: {algo}_{backbone}_{gpus}xb{batch}-
# {schedule}_{dataset}); use the new name.
_base_ = ['./soco_r18_fpn_1xb4-12iter_demo.py']
