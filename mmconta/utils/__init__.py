from .atomic_write import is_temp_file, write_atomic
from .launch import prepare_distributed, set_data_root
from .palette import voc_palette
from .set_env import register_all_modules

__all__ = [
    'is_temp_file', 'prepare_distributed', 'register_all_modules',
    'set_data_root', 'voc_palette', 'write_atomic'
]
