"""Small helpers shared by mmsoco's tools and packages. Importing this
package loads neither torch nor mmengine (``register_all_modules`` does, when
called)."""


def __getattr__(name):
    if name == 'register_all_modules':
        from .setup_env import register_all_modules
        return register_all_modules
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = ['register_all_modules']
