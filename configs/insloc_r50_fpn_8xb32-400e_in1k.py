# InsLoc R50-FPN, 400 epochs: the 200-epoch recipe with a longer cosine.
_base_ = ['./insloc_r50_fpn_8xb32-200e_in1k.py']
max_epochs = 400
param_scheduler = [dict(_base_.param_scheduler[0], T_max=max_epochs,
                        end=max_epochs)]
train_cfg = dict(max_epochs=max_epochs)
