# The old name of soco_r50_c4_16xb128-100e_in1k.py,
# kept for one release (mm's naming: {algo}_{backbone}_{gpus}xb{batch}-
# {schedule}_{dataset}); use the new name.
_base_ = ['./soco_r50_c4_16xb128-100e_in1k.py']
