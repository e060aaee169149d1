from .atomic_write import is_temp_file, prepare_output_dir, write_atomic
from .cam_file import (CAMFile, cam_file_path, load_cam_file, save_cam_file,
                       upsample_cam)
from .launch import enable_amp, prepare_distributed, set_data_root
from .num_classes import dataset_classes, set_num_classes
from .palette import save_index_mask, voc_palette
from .peak_memory import peak_memory, reset_peak_memory
from .pretrained import (PretrainedWeightsError, check_pretrained,
                         drop_pretrained, prepare_pretrained,
                         pretrained_sources)
from .safe_load import (SAFE_GLOBALS, TRUSTED_CHECKPOINTS_ENV,
                        load_from_local_safely, safe_loading,
                        trusted_checkpoints)
from .safe_npy import load_label_table
from .set_env import register_all_modules

__all__ = [
    'SAFE_GLOBALS', 'TRUSTED_CHECKPOINTS_ENV', 'CAMFile',
    'PretrainedWeightsError', 'cam_file_path', 'check_pretrained',
    'dataset_classes', 'drop_pretrained', 'enable_amp', 'is_temp_file',
    'load_cam_file', 'peak_memory', 'reset_peak_memory',
    'load_from_local_safely', 'load_label_table', 'prepare_distributed',
    'prepare_output_dir', 'prepare_pretrained', 'pretrained_sources',
    'register_all_modules', 'safe_loading', 'save_cam_file',
    'set_num_classes',
    'save_index_mask', 'set_data_root', 'trusted_checkpoints',
    'upsample_cam', 'voc_palette', 'write_atomic'
]
