# The SoCo demo with the box k-NN probe every 6 iterations (docs/probe.md):
# probe/head_top1, probe/c5_top1, ... are logged like any validation metric
# and drawn in work_dir/loss.png. The probe set is a labelled COCO-layout
# folder, data/coco_tiny by default (link it there), or:
#   C=../shared/data/coco_tiny; A=$C/annotations
#   python tools/train.py configs/soco_r18_fpn_1xb4-12iter_demo-probe.py --cfg-options \
#     val_dataloader.dataset.ann_file=$A/instances_val2017.json \
#     val_dataloader.dataset.img_dir=$C/val2017 \
#     val_dataloader.dataset.bank_ann_file=$A/instances_train2017.json \
#     val_dataloader.dataset.bank_img_dir=$C/train2017
_base_ = ['./soco_r18_fpn_1xb4-12iter_demo.py',
          './_base_/probe/box_knn_coco.py']
train_cfg = dict(val_interval=6)
