"""The converters into LabelFileWSSSDataset's layout, read back by it."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmconta.registry import DATASETS
from tiny_data import write_image

CONVERTERS = Path(__file__).parents[2] / 'tools/dataset_converters'
sys.path.insert(0, str(CONVERTERS))
import class_folders_to_labels  # noqa: E402
import coco_json_to_labels  # noqa: E402
import multilabel_csv_to_labels  # noqa: E402


def read_back(root: Path, **kwargs):
    init_default_scope('mmconta')
    return DATASETS.build(dict(type='LabelFileWSSSDataset',
                               data_root=str(root),
                               class_file='class_names.txt', pipeline=[],
                               **kwargs))


def labels_of(dataset):
    classes = dataset.metainfo['classes'][1:]
    return {
        info['img_id']: [c for c, v in zip(classes, info['img_labels']) if v]
        for info in map(dataset.get_data_info, range(len(dataset)))
    }


def test_class_folders(tmp_path):
    rng = np.random.default_rng(0)
    for name in ('cat/a.jpg', 'cat/b.png', 'dog/a.jpg'):
        write_image(tmp_path / 'src' / name, rng)
    class_folders_to_labels.main([str(tmp_path / 'src'),
                                  str(tmp_path / 'out')])
    dataset = read_back(tmp_path / 'out')
    assert dataset.metainfo['classes'] == ('background', 'cat', 'dog')
    # Two classes' files of one name stay apart.
    assert labels_of(dataset) == {'cat_a': ['cat'], 'cat_b': ['cat'],
                                  'dog_a': ['dog']}


@pytest.mark.parametrize('header,rows', [
    ('image,cat,dog', ['x.png,1,0', 'y.png,1,1']),
    ('image,tags', ['x,cat', 'y.png,dog cat']),
])
def test_multilabel_csv_in_both_forms(tmp_path, header, rows):
    rng = np.random.default_rng(0)
    for name in ('x', 'y'):
        write_image(tmp_path / 'src' / f'{name}.png', rng)
    (tmp_path / 'labels.csv').write_text('\n'.join([header, *rows]) + '\n')
    multilabel_csv_to_labels.main([
        str(tmp_path / 'labels.csv'), '--images', str(tmp_path / 'src'),
        '--out', str(tmp_path / 'out')])
    assert labels_of(read_back(tmp_path / 'out')) == {
        'x': ['cat'], 'y': ['cat', 'dog']}


def test_multilabel_csv_errors_name_the_line(tmp_path):
    (tmp_path / 'labels.csv').write_text('image,cat,dog\nx,1,2\n')
    with pytest.raises(ValueError, match=r'labels.csv:2: class columns hold '
                       r"0 or 1, got \['2'\]"):
        multilabel_csv_to_labels.convert(
            str(tmp_path / 'labels.csv'), str(tmp_path), str(tmp_path / 'o'),
            'train')
    (tmp_path / 'classes.txt').write_text('background\ncat\n')
    (tmp_path / 'labels.csv').write_text('image,tags\nx,cat\ny,zebra\n')
    with pytest.raises(ValueError, match=r"labels.csv:3: classes \['zebra'\]"):
        multilabel_csv_to_labels.convert(
            str(tmp_path / 'labels.csv'), str(tmp_path), str(tmp_path / 'o'),
            'train', class_file=str(tmp_path / 'classes.txt'))


def rle_string(counts):
    """pycocotools' rleToString, to test the reader on its own form."""
    out = []
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1f
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            out.append(chr(c + (0x20 if more else 0) + 48))
    return ''.join(out)


def column_major_runs(mask):
    flat = mask.T.reshape(-1).astype(int)
    runs, value, count = [], 0, 0
    for v in flat:
        if v != value:
            runs.append(count)
            value, count = v, 0
        count += 1
    return runs + [count]


def test_coco_json_labels_and_masks(tmp_path):
    rng = np.random.default_rng(0)
    for name in ('a.jpg', 'b.jpg', 'c.jpg'):
        write_image(tmp_path / 'images' / name, rng, size=(8, 10))
    square = np.zeros((8, 10), bool)
    square[1:4, 2:7] = True
    blob = np.zeros((8, 10), bool)
    blob[5:8, 0:3] = True
    blob[6, 5] = True
    coco = dict(
        images=[dict(id=i, file_name=n, height=8, width=10)
                for i, n in enumerate(('a.jpg', 'b.jpg', 'c.jpg'))],
        categories=[dict(id=18, name='dog'), dict(id=3, name='car')],
        annotations=[
            # A polygon, an uncompressed and a compressed RLE, a crowd.
            dict(id=1, image_id=0, category_id=18, iscrowd=0,
                 segmentation=[[2, 1, 7, 1, 7, 4, 2, 4]]),
            dict(id=2, image_id=0, category_id=3, iscrowd=0,
                 segmentation=dict(size=[8, 10],
                                   counts=column_major_runs(blob))),
            dict(id=3, image_id=1, category_id=3, iscrowd=0,
                 segmentation=dict(size=[8, 10], counts=rle_string(
                     column_major_runs(square)))),
            dict(id=4, image_id=1, category_id=18, iscrowd=1,
                 segmentation=dict(size=[8, 10],
                                   counts=column_major_runs(blob))),
        ])
    (tmp_path / 'instances.json').write_text(json.dumps(coco))
    coco_json_to_labels.main([
        str(tmp_path / 'instances.json'), '--images',
        str(tmp_path / 'images'), '--out', str(tmp_path / 'out'), '--split',
        'val', '--masks'])
    dataset = read_back(tmp_path / 'out', ann_file='val.csv',
                        unlabelled='background',
                        data_prefix=dict(img_path='images',
                                         seg_map_path='masks'))
    # Category ids in order: car (3) is class 1, dog (18) class 2.
    assert dataset.metainfo['classes'] == ('background', 'car', 'dog')
    assert labels_of(dataset) == {'a': ['car', 'dog'], 'b': ['car'], 'c': []}
    mask_a = np.asarray(Image.open(tmp_path / 'out/masks/a.png'))
    assert (mask_a[blob] == 1).all() and (mask_a[2:4, 3:6] == 2).all()
    mask_b = np.asarray(Image.open(tmp_path / 'out/masks/b.png'))
    np.testing.assert_array_equal(mask_b == 1, square & ~blob)
    assert (mask_b[blob] == 255).all()


def test_converting_a_second_split_keeps_one_class_list(tmp_path):
    rng = np.random.default_rng(0)
    write_image(tmp_path / 'src/cat/a.png', rng)
    class_folders_to_labels.main([str(tmp_path / 'src'),
                                  str(tmp_path / 'out')])
    write_image(tmp_path / 'src/dog/b.png', rng)
    with pytest.raises(ValueError, match='convert every split with one '
                       'class list'):
        class_folders_to_labels.main([str(tmp_path / 'src'),
                                      str(tmp_path / 'out'), '--split',
                                      'val'])


def test_example_source_converts_and_reads(tmp_path):
    multilabel_csv_to_labels.main(['--example', str(tmp_path / 'src')])
    out = tmp_path / 'data'
    for split in ('train', 'val'):
        extra = ['--masks', str(tmp_path / 'src/val_masks')] \
            if split == 'val' else []
        subprocess.run([
            sys.executable, str(CONVERTERS / 'multilabel_csv_to_labels.py'),
            str(tmp_path / f'src/{split}_labels.csv'), '--images',
            str(tmp_path / 'src/images'), '--out', str(out), '--class-file',
            str(tmp_path / 'src/classes.txt'), '--split', split, *extra],
            check=True)
    train = read_back(out)
    val = read_back(out, ann_file='val.csv',
                    data_prefix=dict(img_path='images', seg_map_path='masks'))
    assert len(train) > 50 and len(val) > 15
    assert train.metainfo['classes'] == val.metainfo['classes']
