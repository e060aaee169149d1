"""Segmentation dataset whose samples carry image-level (multi-hot) labels."""
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from PIL import Image

from mmconta.registry import DATASETS
from mmconta.utils import cam_file_path, load_label_table
from .instance_bank import read_index

# What img_suffix='auto' looks for, in order.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')


def read_split_file(path: str) -> List[str]:
    """Read image names from a split file.

    Accepts the formats WSSS code bases use: a bare name per line
    (``2007_000032``), a file name (``2007_000032.jpg``), or PSA/SEAM's
    ``/JPEGImages/2007_000032.jpg /SegmentationClassAug/2007_000032.png``.
    The name is the first token's base name without extension.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file not found: {path}')
    names = []
    with open(path) as f:
        for line in f:
            tokens = line.split()
            if tokens:
                names.append(osp.splitext(osp.basename(tokens[0]))[0])
    if not names:
        raise ValueError(f'split file {path} lists no image')
    return names


def load_class_label_file(path: str, names: List[str],
                          num_fg_classes: int) -> Dict[str, np.ndarray]:
    """Load IRN's ``cls_labels.npy``: a dict name -> multi-hot vector.

    IRN keys VOC names as integers (``2007_000032`` -> ``2007000032``); both
    that and plain string keys are accepted. The pickle inside is read by
    :func:`mmconta.utils.load_label_table`, which runs no code from it.
    """
    table = load_label_table(path)
    labels = {}
    for name in names:
        if name in table:
            vector = table[name]
        else:
            int_key = name.replace('_', '')
            if not int_key.isdigit() or int(int_key) not in table:
                raise KeyError(f'image {name} has no entry in {path}')
            vector = table[int(int_key)]
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.size != num_fg_classes:
            raise ValueError(
                f'{path}: the label of {name} has {vector.size} classes, but '
                f'the dataset has {num_fg_classes} foreground classes')
        labels[name] = vector
    return labels


def derangement(ids: List[str], seed: int) -> Dict[str, str]:
    """A random cycle through ``ids``: each id maps to another one, and each
    is some id's image exactly once."""
    if len(ids) < 2:
        raise ValueError(f'a derangement needs at least two ids, got {ids}')
    order = np.random.default_rng(seed).permutation(len(ids))
    return {ids[order[i]]: ids[order[(i + 1) % len(ids)]]
            for i in range(len(ids))}


@DATASETS.register_module()
class BaseWSSSDataset(BaseSegDataset):
    """A segmentation dataset that also yields image-level labels.

    Class 0 is background. Each sample gets ``img_labels``, a float32
    multi-hot vector over the foreground classes ``classes[1:]``: read from
    an IRN-style class label file, or derived from the mask (every class id
    present but 0 and the ignore index). Masks are validated on the way:
    an id outside ``[0, num_classes)`` other than ``ignore_index`` is an
    error naming the file.

    ``data_prefix`` may also name a ``context_path`` folder of context maps
    (the synthetic benchmark's ``ContextMaps``), loaded by
    :class:`LoadContextMap` to measure how much of a class's CAM falls on its
    context.

    A round's own files reach the pipeline the same way, as per-image paths
    that the round loop fills in (:class:`ContaRoundRunner`), so no
    transform needs a folder of its own: ``cam_dir`` gives each image its
    ``cam_path`` (read by :class:`LoadCAM`), ``prev_mask_dir`` its
    ``prev_mask_path`` (CONTA's x_m, read by :class:`LoadPreviousMask`),
    ``instance_dir`` CDA's instance bank (read by :class:`PasteInstances`).
    Every such file must exist when the dataset is built.

    Args:
        cls_label_file (str, optional): IRN's ``cls_labels.npy`` (relative to
            ``data_root``). Defaults to None: labels come from the masks.
        drop_no_fg (bool): Leave out images without a foreground class (they
            give a classifier nothing to learn); the count is logged.
            Defaults to False.
        cam_dir (str, optional): A CAM run's folder (``<img_id>.npz``).
            Defaults to None.
        prev_mask_dir (str, optional): The previous round's masks
            (``<img_id>.png``). Defaults to None.
        prev_mask_shuffle_seed (int, optional): Give each image another
            image's mask instead: a fixed derangement of the masks in
            ``prev_mask_dir`` (the same in every process), CONTA's control
            that keeps C and the distribution of x_m but breaks the link
            between an image and its own mask. Defaults to None.
        instance_dir (str, optional): An instance bank
            (:mod:`mmconta.datasets.instance_bank`) whose objects
            :class:`PasteInstances` pastes. Defaults to None.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments;
            ``img_suffix='auto'`` takes the suffix of the first listed image
            (``.jpg``, ``.jpeg``, ``.png`` or ``.bmp``).
    """

    def __init__(self,
                 cls_label_file: Optional[str] = None,
                 drop_no_fg: bool = False,
                 cam_dir: Optional[str] = None,
                 prev_mask_dir: Optional[str] = None,
                 prev_mask_shuffle_seed: Optional[int] = None,
                 instance_dir: Optional[str] = None,
                 **kwargs) -> None:
        self.cls_label_file = cls_label_file
        self.drop_no_fg = drop_no_fg
        self.cam_dir = cam_dir
        self.prev_mask_dir = prev_mask_dir
        self.prev_mask_shuffle_seed = prev_mask_shuffle_seed
        self.instance_dir = instance_dir
        super().__init__(**kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.cls_label_file and not osp.isabs(self.cls_label_file):
            self.cls_label_file = osp.join(self.data_root,
                                           self.cls_label_file)

    @property
    def num_fg_classes(self) -> int:
        return len(self.metainfo['classes']) - 1

    def load_data_list(self) -> List[dict]:
        classes = self.metainfo.get('classes')
        if not classes or len(classes) < 2:
            raise ValueError(
                f'{type(self).__name__} needs background plus at least one '
                f'class, got classes={classes!r}')
        if self.label_map is not None:
            raise ValueError(
                f'{type(self).__name__} does not remap classes: set the '
                'class list of the data, not a subset of it')
        img_dir = self.data_prefix.get('img_path') or ''
        ann_dir = self.data_prefix.get('seg_map_path')
        context_dir = self.data_prefix.get('context_path')
        if self.img_suffix == 'auto':
            self.img_suffix = self._find_img_suffix(img_dir)
        names = self._take_indices(self._list_names(img_dir))
        data_list = [
            dict(
                img_id=name,
                img_path=self._image_file(img_dir, name),
                seg_map_path=(osp.join(ann_dir, name + self.seg_map_suffix)
                              if ann_dir else None),
                label_map=None,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]) for name in names
        ]
        if context_dir:
            for info in data_list:
                info['context_path'] = osp.join(
                    context_dir, info['img_id'] + self.seg_map_suffix)
        if self.cam_dir:
            for info in data_list:
                info['cam_path'] = cam_file_path(self.cam_dir, info['img_id'])
        if self.prev_mask_dir:
            self._add_previous_masks(data_list)
        if self.instance_dir:
            read_index(self.instance_dir)  # refuse a bank without index
            for info in data_list:
                info['instance_dir'] = self.instance_dir
        self._check_files_exist(data_list)
        labels = self._image_labels(data_list)
        if labels is None:
            return data_list
        for info in data_list:
            info['img_labels'] = labels[info['img_id']]
        no_fg = [i['img_id'] for i in data_list if not i['img_labels'].any()]
        if no_fg:
            action = 'dropped' if self.drop_no_fg else 'kept'
            print_log(
                f'{type(self).__name__}: {len(no_fg)} of {len(data_list)} '
                f'images have no foreground class ({action}), e.g. '
                f'{no_fg[:3]}', logger='current')
            if self.drop_no_fg:
                data_list = [i for i in data_list if i['img_labels'].any()]
        return data_list

    def _take_indices(self, names: List[str]) -> List[str]:
        """mmengine's ``indices`` (the first N names, or those positions),
        taken before any file is looked for: a cut run (e.g.
        ``tools/experiments/dry_run.py``) has CAMs and masks for its images
        only. mmengine then has no subset left to take."""
        indices, self._indices = self._indices, None
        if indices is None:
            return names
        if isinstance(indices, int):
            return names[:indices] if indices >= 0 else names[indices:]
        return [names[i] for i in indices]

    def _add_previous_masks(self, data_list: List[dict]) -> None:
        partner = {info['img_id']: info['img_id'] for info in data_list}
        if self.prev_mask_shuffle_seed is not None:
            partner = derangement(
                sorted(name[:-4] for name in os.listdir(self.prev_mask_dir)
                       if name.endswith('.png')),
                self.prev_mask_shuffle_seed)
        for info in data_list:
            if info['img_id'] not in partner:
                raise FileNotFoundError(
                    f'{self.prev_mask_dir}: no previous mask '
                    f'{info["img_id"]}.png to shuffle')
            info['prev_mask_path'] = osp.join(
                self.prev_mask_dir, partner[info['img_id']] + '.png')

    def _find_img_suffix(self, img_dir: str) -> str:
        """``img_suffix='auto'``: the suffix of the first image listed (or,
        without a split file, the image folder's only image suffix)."""
        if self.ann_file:
            first = read_split_file(self.ann_file)[:1]
            for suffix in IMAGE_SUFFIXES:
                if first and osp.isfile(osp.join(img_dir, first[0] + suffix)):
                    return suffix
            raise FileNotFoundError(
                f'{osp.join(img_dir, first[0] if first else "")} with none '
                f'of the suffixes {IMAGE_SUFFIXES} (img_suffix=auto)')
        found = {osp.splitext(f)[1] for f in os.listdir(img_dir)} & set(
            IMAGE_SUFFIXES) if osp.isdir(img_dir) else set()
        if len(found) != 1:
            raise ValueError(f'img_suffix=auto: {img_dir} holds images of '
                             f'{sorted(found) or "no known"} suffix; set '
                             'img_suffix')
        return found.pop()

    def _image_file(self, img_dir: str, name: str) -> str:
        """The image file of a listed name."""
        return osp.join(img_dir, name + self.img_suffix)

    def _list_names(self, img_dir: str) -> List[str]:
        if self.ann_file:
            return read_split_file(self.ann_file)
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'image folder not found: {img_dir}')
        names = sorted(
            f[:-len(self.img_suffix)] for f in os.listdir(img_dir)
            if f.endswith(self.img_suffix))
        if not names:
            raise ValueError(f'no *{self.img_suffix} image in {img_dir}')
        return names

    def _check_files_exist(self, data_list: List[dict]) -> None:
        missing = [
            path for info in data_list
            for path in (info['img_path'], info['seg_map_path'],
                         info.get('context_path'), info.get('cam_path'),
                         info.get('prev_mask_path'))
            if path is not None and not osp.isfile(path)
        ]
        if missing:
            source = self.ann_file or self.data_prefix.get('img_path')
            raise FileNotFoundError(
                f'{len(missing)} file(s) named by {source} are missing, e.g. '
                f'{missing[:5]}')

    def _image_labels(
            self, data_list: List[dict]) -> Optional[Dict[str, np.ndarray]]:
        names = [info['img_id'] for info in data_list]
        if self.cls_label_file:
            return load_class_label_file(self.cls_label_file, names,
                                         self.num_fg_classes)
        if data_list and data_list[0]['seg_map_path'] is None:
            if self.test_mode:
                return None  # e.g. a test split without masks
            raise ValueError(
                f'{type(self).__name__} needs image-level labels: give '
                '`cls_label_file` or a mask folder (`seg_map_path`)')
        return {
            info['img_id']: self.labels_from_mask(info['seg_map_path'])
            for info in data_list
        }

    def labels_from_mask(self, path: str) -> np.ndarray:
        """Multi-hot foreground labels of one mask file, validating it."""
        try:
            with Image.open(path) as img:
                mask = np.asarray(img)
        except OSError as e:
            raise OSError(f'cannot read mask {path}: {e}') from e
        if mask.ndim != 2:
            raise ValueError(f'mask {path} has shape {mask.shape}: expected '
                             'a single-channel class-index image')
        ids = np.unique(mask)
        ids = ids[ids != self.ignore_index]
        num_classes = self.num_fg_classes + 1
        bad = ids[(ids < 0) | (ids >= num_classes)]
        if bad.size:
            raise ValueError(
                f'mask {path} holds class ids {bad.tolist()} outside '
                f'[0, {num_classes - 1}] (ignore index {self.ignore_index})')
        labels = np.zeros(self.num_fg_classes, dtype=np.float32)
        labels[ids[ids > 0] - 1] = 1
        return labels
