# The old name of insloc_r50_fpn_8xb32-200e_in1k.py,
# kept for one release (mm's naming: {algo}_{backbone}_{gpus}xb{batch}-
# {schedule}_{dataset}); use the new name.
_base_ = ['./insloc_r50_fpn_8xb32-200e_in1k.py']
