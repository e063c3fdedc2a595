# The old name of insloc_r18_fpn_1xb4-8iter_demo.py,
# kept for one release (mm's naming: {algo}_{backbone}_{gpus}xb{batch}-
# {schedule}_{dataset}); use the new name.
_base_ = ['./insloc_r18_fpn_1xb4-8iter_demo.py']
