"""mmconta's registry nodes, children of MMSegmentation's.

Types registered here are found under ``default_scope='mmconta'`` (our
``tools/train.py``) and, once ``custom_imports=dict(imports=['mmconta'])``
has imported the package, from upstream mmseg's ``tools/train.py`` too.
Unprefixed mmseg and mmengine types resolve by walking up to the parents;
``mmpretrain.<Type>`` reaches mmpretrain's nodes by scope.
"""
# A lookup that walks up to a parent does not import the parent's
# ``locations``, so mmseg's modules are imported here, once, for every entry
# point that imports mmconta.
import mmseg.datasets  # noqa: F401
import mmseg.engine  # noqa: F401
import mmseg.evaluation  # noqa: F401
import mmseg.models  # noqa: F401
import mmseg.structures  # noqa: F401
import mmseg.visualization  # noqa: F401
from mmengine.registry import Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import EVALUATOR as MMSEG_EVALUATOR
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import INFERENCERS as MMSEG_INFERENCERS
from mmseg.registry import LOG_PROCESSORS as MMSEG_LOG_PROCESSORS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as \
    MMSEG_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import RUNNER_CONSTRUCTORS as MMSEG_RUNNER_CONSTRUCTORS
from mmseg.registry import RUNNERS as MMSEG_RUNNERS
from mmseg.registry import TASK_UTILS as MMSEG_TASK_UTILS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

# Every mmseg node has a child here: a registry without one would make
# ``default_scope='mmconta'`` fall back to mmengine's root and lose mmseg's
# entries (e.g. its optimizer constructors and visualizer).
RUNNERS = Registry(
    'runner', parent=MMSEG_RUNNERS, locations=['mmconta.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMSEG_RUNNER_CONSTRUCTORS)
LOOPS = Registry('loop', parent=MMSEG_LOOPS, locations=['mmconta.engine'])
HOOKS = Registry('hook', parent=MMSEG_HOOKS, locations=['mmconta.engine'])

DATASETS = Registry(
    'dataset', parent=MMSEG_DATASETS, locations=['mmconta.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMSEG_DATA_SAMPLERS)
TRANSFORMS = Registry(
    'transform', parent=MMSEG_TRANSFORMS, locations=['mmconta.datasets'])

MODELS = Registry('model', parent=MMSEG_MODELS, locations=['mmconta.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMSEG_MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMSEG_WEIGHT_INITIALIZERS)

OPTIMIZERS = Registry('optimizer', parent=MMSEG_OPTIMIZERS)
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMSEG_OPTIM_WRAPPERS,
    locations=['mmconta.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMSEG_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMSEG_PARAM_SCHEDULERS)

METRICS = Registry(
    'metric', parent=MMSEG_METRICS, locations=['mmconta.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMSEG_EVALUATOR)

TASK_UTILS = Registry('task util', parent=MMSEG_TASK_UTILS)

VISUALIZERS = Registry(
    'visualizer', parent=MMSEG_VISUALIZERS,
    locations=['mmconta.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMSEG_VISBACKENDS)
LOG_PROCESSORS = Registry('log_processor', parent=MMSEG_LOG_PROCESSORS)
INFERENCERS = Registry('inferencer', parent=MMSEG_INFERENCERS)
