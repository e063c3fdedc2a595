"""``--tensorboard``: mmengine's TensorboardVisBackend next to the config's
visualisation backends."""
import sys


def add_tensorboard(cfg) -> bool:
    """Add the backend (once); False, with a warning, without the
    tensorboard package."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        print('warning: --tensorboard: the tensorboard package is not '
              'installed (pip install tensorboard); logging to files only',
              file=sys.stderr)
        return False
    vis = cfg.get('visualizer') or dict(type='Visualizer')
    backends = list(vis.get('vis_backends') or
                    [dict(type='LocalVisBackend')])
    if not any('TensorboardVisBackend' in str(b.get('type'))
               for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    vis['vis_backends'] = backends
    cfg.visualizer = vis
    return True


__all__ = ['add_tensorboard']
