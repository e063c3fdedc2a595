# The box k-NN probe as the validation of a pretraining run (docs/probe.md):
# train2017 boxes vote for val2017 boxes of a labelled COCO-layout folder
# (`probe_root`), through the model's frozen online network. Add this file
# to a config's _base_ list and set train_cfg.val_interval (iterations).
probe_root = 'data/coco_tiny/'
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BoxProbeDataset',
        ann_file=probe_root + 'annotations/instances_val2017.json',
        img_dir=probe_root + 'val2017',
        bank_ann_file=probe_root + 'annotations/instances_train2017.json',
        bank_img_dir=probe_root + 'train2017'))
val_evaluator = dict(type='BoxKNNProbe', k=20, temperature=0.07)
val_cfg = dict(type='BoxProbeValLoop')
