# The ResNet-50 every mmsoco model starts from (r50_fpn_4conv1fc.py,
# r50_c4.py): PyTorch style (stride in the 3x3 conv), BN, nothing frozen,
# BN in train mode; data preprocessing of the views (MultiViewDataPreprocessor,
# used by SoCo and InsLoc alike).
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(type='MultiViewDataPreprocessor'),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=False,
        zero_init_residual=False))
