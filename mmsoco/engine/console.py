"""What ``tools/train.py`` prints: a short config summary instead of
mmengine's environment and config dump (which still goes to the work dir's
log file), then a log line from the first iteration on, with its ETA."""
import logging

from mmengine.hooks import Hook


class ConsoleGate(logging.Filter):
    """Keeps INFO records off the console until it is opened; warnings and
    errors always pass."""

    def __init__(self):
        super().__init__()
        self.open = False

    def filter(self, record: logging.LogRecord) -> bool:
        return self.open or record.levelno >= logging.WARNING


def gate_console(logger: logging.Logger) -> ConsoleGate:
    """Put a closed :class:`ConsoleGate` on the console handlers of
    ``logger`` (not on its log file)."""
    gate = ConsoleGate()
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler):
            handler.addFilter(gate)
    return gate


class FirstIterationLog(Hook):
    """Open the console gate and log the first iteration this process
    trains (loss, time, ETA), which mmengine's LoggerHook only logs at its
    interval."""
    priority = 'LOW'  # after IterTimerHook (ETA) and LoggerHook

    def __init__(self, gate: ConsoleGate):
        self.gate = gate
        self.logged = False

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.gate.open = True

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.logged:
            return
        self.logged = True
        logger_hook = next((h for h in runner.hooks
                            if type(h).__name__ == 'LoggerHook'), None)
        interval = getattr(logger_hook, 'interval', 1)
        if (batch_idx + 1) % interval == 0:
            return  # LoggerHook logs this one
        _, line = runner.log_processor.get_log_after_iter(
            runner, batch_idx, 'train')
        runner.logger.info(line)


def quiet_runner(runner_cls):
    """``runner_cls`` whose console shows warnings only until training
    starts, then every log line; the log file gets everything."""

    class QuietStartRunner(runner_cls):

        def build_logger(self, *args, **kwargs):
            logger = super().build_logger(*args, **kwargs)
            self._console_gate = gate_console(logger)
            return logger

        def train(self):
            self.register_hook(FirstIterationLog(self._console_gate))
            return super().train()

    QuietStartRunner.__name__ = runner_cls.__name__
    return QuietStartRunner


__all__ = ['ConsoleGate', 'FirstIterationLog', 'gate_console',
           'quiet_runner']
