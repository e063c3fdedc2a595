"""mmsoco: an OpenMMLab 2.x plugin for detection-aligned self-supervised
pretraining (SoCo, InsLoc). Install with ``bash tools/setup_env.sh``; mmcv
2.0.1 has no wheels on PyPI and is built there with its ops."""
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'mmsoco', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmsoco',
    version=read_version(),
    description='Detection-aligned self-supervised pretraining (SoCo, '
    'InsLoc) for OpenMMLab 2.x',
    long_description=open('README.md').read() if osp.exists('README.md')
    else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmsoco', 'mmsoco.*']),
    python_requires='>=3.9,<3.12',
    install_requires=[
        'torch>=2.0',
        'mmengine>=0.10.7,<0.11',
        'mmcv>=2.0.1,<2.1',  # mmselfsup 1.0.0 / mmcls 1.0.0rc6 assert < 2.1
        'mmdet>=3.3.0,<3.4',
        'mmcls==1.0.0rc6',
        'mmselfsup==1.0.0',
        'numpy>=1.22',
        'opencv-python>=4.5',
        'Pillow>=9',  # image_io re-checks truncated JPEG/PNG files
        'scikit-image>=0.19',  # demo photos
        'numba>=0.59',  # compiled selective-search loops
        'pycocotools',
        'setuptools>=77.0.3,<82',  # mmengine 0.10.7 imports pkg_resources
    ],
    extras_require={'tests': ['pytest>=7', 'hypothesis>=6']},
    zip_safe=False,
)
