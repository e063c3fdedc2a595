from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper  # noqa: F401
