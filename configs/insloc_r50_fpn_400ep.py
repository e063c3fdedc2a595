# InsLoc R50-FPN, 400 epochs: the 200-epoch recipe with a longer cosine.
_base_ = ['./insloc_r50_fpn_200ep.py']
max_epochs = 400
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.,
         by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
