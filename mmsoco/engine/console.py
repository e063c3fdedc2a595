"""What ``tools/train.py`` prints: a short config summary instead of
mmengine's environment and config dump (which still goes to the work dir's
log file), then a log line from the first iteration on, with its ETA."""
import logging

from mmengine.hooks import Hook


# mmengine's start-up dumps (environment, whole config, hook order): some
# 500 lines before the first useful one; they stay in the log file.
DUMPS = ('System environment', 'Config:', 'Hooks will be executed')


class DumpFilter(logging.Filter):
    """Keeps mmengine's start-up dumps off the console."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        text = record.getMessage().lstrip('\n-')
        return not text.startswith(DUMPS)


def quiet_console(logger: logging.Logger) -> DumpFilter:
    """Put a :class:`DumpFilter` on the console handlers of ``logger``
    (not on its log file)."""
    dump_filter = DumpFilter()
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler):
            handler.addFilter(dump_filter)
    return dump_filter


class FirstIterationLog(Hook):
    """Log the first iteration this process trains (loss, time, ETA),
    which mmengine's LoggerHook only logs at its interval."""
    priority = 'LOW'  # after IterTimerHook (ETA) and LoggerHook

    def __init__(self):
        self.logged = False

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
    """``runner_cls`` without the start-up dumps on the console (the log
    file gets everything) and with the first iteration logged."""

    class QuietStartRunner(runner_cls):

        def build_logger(self, *args, **kwargs):
            logger = super().build_logger(*args, **kwargs)
            quiet_console(logger)
            return logger

        def train(self):
            self.register_hook(FirstIterationLog())
            return super().train()

    QuietStartRunner.__name__ = runner_cls.__name__
    return QuietStartRunner


__all__ = ['DUMPS', 'DumpFilter', 'FirstIterationLog', 'quiet_console',
           'quiet_runner']
