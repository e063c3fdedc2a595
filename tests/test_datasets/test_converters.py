"""VIA, labelme and YOLO -> COCO on a small hand-made set: every object's
box, polygon and class, the image ids and sizes come back as drawn; bad
input gives one line naming the file and the fix."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmsoco.datasets.converters import (ConversionError, convert_labelme,
                                        convert_via, convert_yolo)
from tests.helpers import REPO
from tests.labels_tiny import (expected_bbox, make_images, write_labelme,
                               write_via, write_yolo)

TOOLS = osp.join(REPO, 'tools', 'dataset_converters')


def check_round_trip(coco: dict, truth: dict, categories: list,
                     box_tol: float = 0.01) -> None:
    assert [c['name'] for c in coco['categories']] == categories
    assert [c['id'] for c in coco['categories']] == list(
        range(1, len(categories) + 1))
    images = {im['id']: im for im in coco['images']}
    assert sorted(images) == list(range(1, len(truth) + 1))
    assert sorted(im['file_name'] for im in images.values()) == sorted(truth)
    cat_name = {c['id']: c['name'] for c in coco['categories']}
    got = {}
    for a in coco['annotations']:
        got.setdefault(images[a['image_id']]['file_name'], []).append(a)
    assert len({a['id'] for a in coco['annotations']}) == \
        len(coco['annotations'])
    for fname, t in truth.items():
        im = next(i for i in images.values() if i['file_name'] == fname)
        assert (im['width'], im['height']) == t['size']
        anns = sorted(got.get(fname, []),
                      key=lambda a: cat_name[a['category_id']])
        objs = sorted(t['objects'], key=lambda o: o['cls'])
        assert len(anns) == len(objs)
        for a, o in zip(anns, objs):
            assert cat_name[a['category_id']] == o['cls']
            assert a['bbox'] == pytest.approx(expected_bbox(o), abs=box_tol)
            assert a['iscrowd'] == 0
            poly = np.array(a['segmentation'][0]).reshape(-1, 2)
            if 'polygon' in o:
                assert poly.reshape(-1) == pytest.approx(o['polygon'],
                                                         abs=box_tol)
                assert 0 < a['area'] < a['bbox'][2] * a['bbox'][3]
            else:  # a box becomes its rectangle
                x, y, w, h = expected_bbox(o)
                assert poly.min(0) == pytest.approx([x, y], abs=box_tol)
                assert poly.max(0) == pytest.approx([x + w, y + h],
                                                    abs=box_tol)
                assert a['area'] == pytest.approx(w * h, rel=1e-3)


def test_via_round_trip(tmp_path):
    truth = make_images(str(tmp_path / 'train'), 3)
    via = write_via(str(tmp_path / 'train'), truth)
    coco = convert_via(via).write(str(tmp_path / 'train.json'))
    check_round_trip(coco, truth, ['balloon', 'box'])
    assert json.loads((tmp_path / 'train.json').read_text()) == coco
    # a fixed class order gives those ids
    coco2 = convert_via(via, categories=['box', 'balloon', 'kite']).to_dict()
    assert [c['name'] for c in coco2['categories']] == ['box', 'balloon',
                                                        'kite']
    check_round_trip(coco2, truth, ['box', 'balloon', 'kite'])


def test_via_project_without_attributes_gets_the_default_class(tmp_path):
    """The balloon tutorial's layout: VIA 1.x dict regions, no attributes,
    inside a VIA 2 project file."""
    truth = make_images(str(tmp_path), 2)
    data = json.load(open(write_via(str(tmp_path), truth)))
    for entry in data.values():
        entry['regions'] = {str(i): dict(r, region_attributes={})
                            for i, r in enumerate(entry['regions'])}
    with open(tmp_path / 'project.json', 'w') as f:
        json.dump({'_via_settings': {}, '_via_img_metadata': data,
                   '_via_attributes': {'region': {}, 'file': {}}}, f)
    coco = convert_via(str(tmp_path / 'project.json'),
                       default_class='balloon').to_dict()
    for o in (o for t in truth.values() for o in t['objects']):
        o['cls'] = 'balloon'
    check_round_trip(coco, truth, ['balloon'])


def test_labelme_round_trip(tmp_path):
    truth = make_images(str(tmp_path / 'lm'), 3, ext='.jpg')
    write_labelme(str(tmp_path / 'lm'), truth)
    # the output inside the labelme folder is skipped when run again
    out = str(tmp_path / 'lm' / 'out.json')
    coco = convert_labelme(str(tmp_path / 'lm')).write(out)
    check_round_trip(coco, truth, ['balloon', 'box'])
    assert convert_labelme(str(tmp_path / 'lm')).to_dict() == coco


def test_yolo_round_trip(tmp_path):
    truth = make_images(str(tmp_path / 'images' / 'train'), 3)
    write_yolo(str(tmp_path / 'labels' / 'train'), truth, ['box', 'balloon'])
    (tmp_path / 'data.yaml').write_text(
        'path: .\ntrain: images/train\nnames:\n  0: box\n  1: balloon\n  2: '
        'kite\n')
    make_images(str(tmp_path / 'images' / 'train' / 'bg'), 1, seed=3)
    coco = convert_yolo(str(tmp_path / 'images' / 'train')).to_dict()
    truth['bg/img_00.png'] = dict(size=(160, 120), objects=[])
    # 6-decimal normalised values: within 1e-6 of the image size
    check_round_trip(coco, truth, ['box', 'balloon', 'kite'], box_tol=2e-3)


def first_line(exc) -> str:
    msg = str(exc.value)
    assert '\n' not in msg
    return msg


def test_bad_input_one_line_with_the_fix(tmp_path):
    truth = make_images(str(tmp_path), 2)
    via = write_via(str(tmp_path), truth)
    data = json.load(open(via))
    entry = next(iter(data.values()))
    entry['regions'][0]['shape_attributes'] = dict(name='point', cx=3, cy=4)
    json.dump(data, open(tmp_path / 'point.json', 'w'))
    with pytest.raises(ConversionError) as e:
        convert_via(str(tmp_path / 'point.json'))
    assert "point.json: region 0 of img_00.png: region of shape 'point'" \
        in first_line(e) and 'redraw it as a polygon or rect' in str(e.value)

    os.remove(tmp_path / 'img_01.png')
    with pytest.raises(ConversionError) as e:
        convert_via(via)
    assert f'image img_01.png not found in {tmp_path}' in first_line(e)

    (tmp_path / 'garbage.png').write_bytes(b'not an image')
    json.dump({'g': dict(filename='garbage.png', size=12, regions=[])},
              open(tmp_path / 'g.json', 'w'))
    with pytest.raises(ConversionError) as e:
        convert_via(str(tmp_path / 'g.json'))
    assert 'garbage.png: not a decodable image' in first_line(e)

    # an existing output is never replaced by accident
    out = tmp_path / 'mine.json'
    out.write_text('keep')
    truth = make_images(str(tmp_path / 'ok'), 1)
    with pytest.raises(ConversionError) as e:
        convert_via(write_via(str(tmp_path / 'ok'), truth)).write(str(out))
    assert 'exists; choose another path or pass --overwrite' in \
        first_line(e)
    assert out.read_text() == 'keep'


@pytest.mark.parametrize('name', ['/etc/passwd', '../../x.jpg',
                                  'sub/../../x.jpg'])
def test_via_image_names_stay_inside_the_image_root(tmp_path, name,
                                                    monkeypatch):
    """A VIA file naming a file outside its image folder is refused in one
    line naming the entry; the file is never opened."""
    from mmsoco.datasets.converters import coco_builder
    opened = []
    monkeypatch.setattr(coco_builder, 'load_rgb', opened.append)
    via = tmp_path / 'images' / 'via.json'
    via.parent.mkdir()
    via.write_text(json.dumps({'x': dict(filename=name, size=1,
                                         regions=[])}))
    with pytest.raises(ConversionError) as e:
        convert_via(str(via))
    assert first_line(e).startswith(
        f'{via}: image entry {name!r} is outside the image root '
        f'{via.parent}')
    assert opened == []


def test_absolute_via_names_inside_the_root_become_relative(tmp_path):
    truth = make_images(str(tmp_path), 1)
    data = json.load(open(write_via(str(tmp_path), truth)))
    for entry in data.values():
        entry['filename'] = str(tmp_path / entry['filename'])
    json.dump(data, open(tmp_path / 'abs.json', 'w'))
    coco = convert_via(str(tmp_path / 'abs.json')).to_dict()
    assert [im['file_name'] for im in coco['images']] == sorted(truth)


def test_labelme_image_outside_the_root_is_refused(tmp_path):
    truth = make_images(str(tmp_path / 'labels'), 1)
    write_labelme(str(tmp_path / 'labels'), truth)
    with pytest.raises(ConversionError) as e:
        convert_labelme(str(tmp_path / 'labels'),
                        image_root=str(tmp_path / 'elsewhere'))
    assert 'is outside the image root' in first_line(e)


def test_yolo_bad_labels(tmp_path):
    truth = make_images(str(tmp_path / 'images'), 2)
    labels = tmp_path / 'labels'
    write_yolo(str(labels), truth, ['balloon', 'box'])
    (tmp_path / 'classes.txt').write_text('balloon\nbox\n')
    with open(labels / 'img_01.txt', 'a') as f:
        f.write('1 0.5 1.5 0.1 0.1\n')
    with pytest.raises(ConversionError) as e:
        convert_yolo(str(tmp_path / 'images'))
    assert f'{labels / "img_01.txt"}:3: value 1.5 is outside [0, 1]' in \
        first_line(e)
    write_yolo(str(labels), truth, ['balloon', 'box'])
    (labels / 'img_01.txt').write_text('7 0.5 0.5 0.1 0.1\n')
    with pytest.raises(ConversionError) as e:
        convert_yolo(str(tmp_path / 'images'))
    assert 'class 7 is not in the 2 class names' in first_line(e)
    write_yolo(str(labels), truth, ['balloon', 'box'])
    (labels / 'img_09.txt').write_text('0 0.5 0.5 0.1 0.1\n')
    with pytest.raises(ConversionError) as e:
        convert_yolo(str(tmp_path / 'images'))
    assert 'img_09.txt: no image img_09.* in' in first_line(e)


@pytest.mark.parametrize('tool', ['via2coco', 'labelme2coco', 'yolo2coco'])
def test_tools_exit_with_one_line(tool, tmp_path, tool_env):
    truth = make_images(str(tmp_path / 'images'), 2)
    out = str(tmp_path / 'out.json')
    if tool == 'via2coco':
        src = write_via(str(tmp_path / 'images'), truth)
        bad = ['--class-attribute', 'colour']
    elif tool == 'labelme2coco':
        write_labelme(str(tmp_path / 'images'), truth)
        src = str(tmp_path / 'images')
        bad = ['--classes', 'balloon']  # 'box' is not in the list
    else:
        write_yolo(str(tmp_path / 'labels'), truth, ['balloon', 'box'])
        (tmp_path / 'classes.txt').write_text('balloon\nbox\n')
        src = str(tmp_path / 'images')
        bad = ['--names', str(tmp_path / 'missing.yaml')]

    def run(*args):
        return subprocess.run([sys.executable, osp.join(TOOLS, tool + '.py'),
                               *args], env=tool_env, capture_output=True,
                              text=True, timeout=300)

    ok = run(src, out)
    assert ok.returncode == 0, ok.stderr
    assert 'wrote' in ok.stdout and '2 images, 4 objects' in ok.stdout
    assert len(json.load(open(out))['annotations']) == 4
    fail = run(src, str(tmp_path / 'other.json'), *bad)
    assert fail.returncode == 2
    lines = fail.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), fail.stderr
    assert not osp.exists(tmp_path / 'other.json')


def test_circles_and_ellipses_become_polygons(tmp_path):
    truth = make_images(str(tmp_path), 1)
    data = json.load(open(write_via(str(tmp_path), truth)))
    entry = next(iter(data.values()))
    entry['regions'] = [
        dict(shape_attributes=dict(name='circle', cx=50, cy=40, r=10),
             region_attributes={'class': 'ring'}),
        dict(shape_attributes=dict(name='ellipse', cx=100, cy=60, rx=20,
                                   ry=8, theta=0),
             region_attributes={'class': 'ring'})]
    json.dump(data, open(tmp_path / 'round.json', 'w'))
    anns = convert_via(str(tmp_path / 'round.json')).to_dict()['annotations']
    assert anns[0]['bbox'] == pytest.approx([40, 30, 20, 20], abs=0.01)
    assert anns[1]['bbox'] == pytest.approx([80, 52, 40, 16], abs=0.01)
    assert len(anns[0]['segmentation'][0]) == 64
    # the polygon's area is close to the circle's
    assert anns[0]['area'] == pytest.approx(np.pi * 100, rel=0.01)
    # labelme circle: centre and a point on the circle
    lm = tmp_path / 'lm'
    lm.mkdir()
    os.rename(tmp_path / 'img_00.png', lm / 'img_00.png')
    json.dump(dict(shapes=[dict(label='ring', points=[[50, 40], [60, 40]],
                                shape_type='circle', group_id=None)],
                   imagePath='img_00.png'), open(lm / 'img_00.json', 'w'))
    ann = convert_labelme(str(lm)).to_dict()['annotations'][0]
    assert ann['bbox'] == pytest.approx([40, 30, 20, 20], abs=0.01)


def test_each_tool_names_the_converter_for_another_format(tmp_path,
                                                          tool_env):
    """A converter given another tool's annotations refuses in one line
    naming the converter that reads them (and a COCO file needs none)."""
    truth = make_images(str(tmp_path / 'via'), 2)
    via = write_via(str(tmp_path / 'via'), truth)
    make_images(str(tmp_path / 'labelme'), 2)
    write_labelme(str(tmp_path / 'labelme'), truth)
    yolo_images = tmp_path / 'yolo' / 'images'
    make_images(str(yolo_images), 2)
    write_yolo(str(tmp_path / 'yolo' / 'labels'), truth, ['balloon', 'box'])
    coco = str(tmp_path / 'coco.json')
    convert_via(via).write(coco)

    def run(tool, src):
        proc = subprocess.run(
            [sys.executable, osp.join(TOOLS, tool + '.py'), src,
             str(tmp_path / 'out.json')], env=tool_env, capture_output=True,
            text=True, timeout=300)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr
        return lines[0]

    for src in (via, str(tmp_path / 'via')):
        assert 'VIA annotations, not labelme: convert them with python ' \
            f'tools/dataset_converters/via2coco.py {via} OUT_JSON' in run(
                'labelme2coco', src)
    assert 'labelme annotations, not VIA: convert them with python ' \
        'tools/dataset_converters/labelme2coco.py ' \
        f'{tmp_path / "labelme"} OUT_JSON' in run(
            'via2coco', str(tmp_path / 'labelme'))
    assert 'give the VIA JSON file in it, e.g. ' + via in run(
        'via2coco', str(tmp_path / 'via'))
    assert 'YOLO annotations, not labelme: convert them with python ' \
        'tools/dataset_converters/yolo2coco.py' in run(
            'labelme2coco', str(yolo_images))
    assert 'labelme annotations, not YOLO' in run(
        'yolo2coco', str(tmp_path / 'labelme'))
    assert 'is COCO JSON already: no conversion is needed' in run(
        'via2coco', coco)
    assert not osp.exists(tmp_path / 'out.json')


@pytest.mark.parametrize('tool', ['via2coco', 'labelme2coco', 'yolo2coco'])
def test_tools_start_without_torch_or_mmengine(tool, tmp_path, tool_env):
    """--help, a missing input and a whole conversion load neither torch
    nor mmengine (a converter starts in a fraction of a second)."""
    truth = make_images(str(tmp_path / 'images'), 1)
    src = {'via2coco': lambda: write_via(str(tmp_path / 'images'), truth),
           'labelme2coco': lambda: write_labelme(str(tmp_path / 'images'),
                                                 truth),
           'yolo2coco': lambda: write_yolo(str(tmp_path / 'labels'), truth,
                                           ['balloon', 'box'])}[tool]()
    (tmp_path / 'classes.txt').write_text('balloon\nbox\n')
    src = src or str(tmp_path / 'images')
    script = (
        'import runpy, sys\n'
        f'sys.argv = [{tool!r}] + sys.argv[1:]\n'
        'try:\n'
        f'    runpy.run_path({osp.join(TOOLS, tool + ".py")!r}, '
        'run_name="__main__")\n'
        'except SystemExit as e:\n'
        '    code = e.code\n'
        'heavy = sorted({"torch", "mmengine", "mmcv", "mmdet"} & '
        'set(sys.modules))\n'
        'print("HEAVY", heavy, "CODE", code)\n')
    for args, code in ((['--help'], 0),
                       ([str(tmp_path / 'missing'), 'o.json'], 2),
                       ([src, str(tmp_path / 'out.json')], 0)):
        proc = subprocess.run([sys.executable, '-c', script, *args],
                              env=tool_env, capture_output=True, text=True,
                              timeout=120, cwd=str(tmp_path))
        assert f'HEAVY [] CODE {code}' in proc.stdout, (args, proc.stdout,
                                                         proc.stderr)
