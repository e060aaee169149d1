"""The images of a WSSS dataset with the pseudo-masks of a round."""
import os.path as osp
from typing import List, Sequence, Union

from mmseg.datasets import BaseSegDataset

from mmconta.registry import DATASETS
from .base_wsss_dataset import BaseWSSSDataset


@DATASETS.register_module()
class PseudoLabelDataset(BaseSegDataset):
    """A WSSS dataset whose masks are replaced by pseudo-masks.

    Only where ``seg_map_path`` points changes: images, image-level labels,
    classes and palette come from the source dataset, so any mmseg decode
    head trains on the pseudo-masks of a round (255 = ignore). At start
    every listed image must have a pseudo-mask holding only valid class ids
    or 255; the first violation is an error naming the file.

    Args:
        dataset (dict | BaseWSSSDataset): The source dataset (config or
            instance); its pipeline is not used.
        pseudo_dir (str): Folder of ``<img_id>.png`` pseudo-masks.
        pipeline (Sequence[dict]): This dataset's pipeline. Defaults to ().
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments other
            than paths and class information.
    """

    def __init__(self,
                 dataset: Union[dict, BaseWSSSDataset],
                 pseudo_dir: str,
                 pipeline: Sequence[dict] = (),
                 **kwargs) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dict(dataset, pipeline=[]))
        if not isinstance(dataset, BaseWSSSDataset):
            raise TypeError('PseudoLabelDataset needs a WSSS dataset '
                            f'(BaseWSSSDataset), got {type(dataset).__name__}')
        self.source = dataset
        self.pseudo_dir = pseudo_dir
        metainfo = dict(
            classes=dataset.metainfo['classes'],
            palette=dataset.metainfo['palette'])
        super().__init__(
            metainfo=metainfo,
            pipeline=list(pipeline),
            ignore_index=dataset.ignore_index,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.pseudo_dir):
            raise FileNotFoundError(
                f'pseudo-mask folder not found: {self.pseudo_dir}')
        data_list = []
        missing = []
        for index in range(len(self.source)):
            info = self.source.get_data_info(index)
            info['seg_map_path'] = osp.join(self.pseudo_dir,
                                            info['img_id'] + '.png')
            if not osp.isfile(info['seg_map_path']):
                missing.append(info['seg_map_path'])
            data_list.append(info)
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(data_list)} images have no '
                f'pseudo-mask in {self.pseudo_dir}, e.g. {missing[:5]}')
        for info in data_list:
            # Validates the ids; the image-level labels stay the source's.
            self.source.labels_from_mask(info['seg_map_path'])
        return data_list
