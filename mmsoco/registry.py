"""mmsoco's registry scope.

Every registry is a child of mmengine's root registry of the same kind, so
configs with ``default_scope = 'mmsoco'`` find mmsoco's components first and
reach other libraries through prefixed types (``mmdet.ResNet``,
``mmselfsup.LARS``). The ``locations`` make mmengine import mmsoco's modules
lazily, the first time a registry is searched.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS)
LOOPS = Registry('loop', parent=MMENGINE_LOOPS,
                 locations=['mmsoco.evaluation'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS,
                 locations=['mmsoco.engine.hooks'])
LOG_PROCESSORS = Registry('log processor', parent=MMENGINE_LOG_PROCESSORS)
# dataloader worker_init_fn (the thread policy's, mmsoco.engine)
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS,
                     locations=['mmsoco.engine'])

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS,
                    locations=['mmsoco.datasets.soco_dataset',
                               'mmsoco.datasets.insloc_dataset',
                               'mmsoco.evaluation'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         locations=['mmsoco.datasets.samplers'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                      locations=['mmsoco.datasets.transforms'])

MODELS = Registry('model', parent=MMENGINE_MODELS,
                  locations=['mmsoco.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
                          locations=['mmsoco.models'])
WEIGHT_INITIALIZERS = Registry('weight initializer',
                               parent=MMENGINE_WEIGHT_INITIALIZERS,
                               locations=['mmsoco.models', 'mmsoco.transfer'])

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS,
                      locations=['mmsoco.engine.optimizers'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          locations=['mmsoco.engine.optimizers'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmsoco.engine.optimizers'])
PARAM_SCHEDULERS = Registry('parameter scheduler',
                            parent=MMENGINE_PARAM_SCHEDULERS,
                            locations=['mmsoco.engine.optimizers'])

# the box k-NN probe (mmsoco.evaluation); other metrics, evaluators and
# visualizers fall through to mmengine / mmdet ones.
METRICS = Registry('metric', parent=MMENGINE_METRICS,
                   locations=['mmsoco.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS)
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS,
                       locations=['mmsoco.visualization'])
