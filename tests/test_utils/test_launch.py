"""What the entry points change in a config for a CPU run."""
from pathlib import Path

from mmengine.config import Config

from mmconta.utils.launch import sync_bn_to_bn

REPO = Path(__file__).resolve().parents[2]


def test_sync_bn_becomes_bn_everywhere_in_the_model():
    cfg = Config.fromfile(
        REPO / 'configs/seg/deeplabv2_r101-d8_4xb4-20k_voc12aug-512x512.py')
    assert 'SyncBN' in str(cfg.model)
    assert sync_bn_to_bn(cfg.model) >= 1
    assert 'SyncBN' not in str(cfg.model)
    assert sync_bn_to_bn(cfg.model) == 0
