import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmsoco module so that its components are registered.

    Args:
        init_default_scope: also make ``mmsoco`` the current default scope,
            so that unprefixed types in configs resolve to mmsoco first.
    """
    import mmsoco.datasets
    mmsoco.datasets.register_all()
    import mmsoco.engine  # noqa: F401
    import mmsoco.models  # noqa: F401
    import mmsoco.transfer  # noqa: F401  (TransferPretrained)
    import mmsoco.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'mmsoco':
        if current is not None:
            warnings.warn(f'The current default scope "{current.scope_name}"'
                          ' is not "mmsoco"; a new default scope named '
                          '"mmsoco-<timestamp>" is created for mmsoco.')
        name = 'mmsoco' if current is None else \
            f'mmsoco-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmsoco')
