from . import hooks, optimizers, thread_policy  # noqa: F401
