"""The errors the transfer steps raise on bad input."""


class ExportError(ValueError):
    """The input cannot be exported; the message says why and what to do."""


class StageError(RuntimeError):
    """A transfer-chain stage cannot run on its input; the message is one
    line saying why and what to do."""
