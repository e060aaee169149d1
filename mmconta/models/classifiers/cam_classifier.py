"""A multi-label image classifier whose head yields CAMs."""
from typing import List, Optional, Union

from mmengine.model import BaseModel
from torch import Tensor

from mmconta.registry import MODELS


@MODELS.register_module()
class CAMClassifier(BaseModel):
    """Backbone + :class:`CAMHead`: the CAM network of WSSS (IRN step 1).

    The backbone is any registered one: mmseg's (``ResNetV1c``,
    ``MixVisionTransformer``, ...) or mmpretrain's by scope
    (``type='mmpretrain.ResNet'``). IRN's options live in its config:
    output stride 16 (``strides=(1, 2, 2, 1)``), frozen BN
    (``norm_eval=True``), frozen stem and first stage (``frozen_stages``).

    Args:
        backbone (dict): Backbone config; it returns a tuple of maps.
        head (dict): Head config, e.g. ``dict(type='CAMHead', ...)``.
        data_preprocessor (dict, optional): e.g. mmseg's
            ``SegDataPreProcessor``. Defaults to None.
        feature_index (int): Which backbone output feeds the head.
            Defaults to -1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 feature_index: int = -1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.feature_index = feature_index

    def extract_feat(self, inputs: Tensor) -> Tensor:
        return self.backbone(inputs)[self.feature_index]

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[dict, List, Tensor]:
        feat = self.extract_feat(inputs)
        if mode == 'loss':
            return self.head.loss(feat, data_samples)
        if mode == 'predict':
            return self.head.predict(feat, data_samples)
        if mode == 'tensor':
            return self.head(feat, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}')

    def cam(self, inputs: Tensor) -> Tensor:
        """Class activation maps (N, K, h, w) of normalised images."""
        return self.head.cam(self.extract_feat(inputs))
