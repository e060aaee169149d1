from .deeplabv2_head import DeepLabV2Head

__all__ = ['DeepLabV2Head']
