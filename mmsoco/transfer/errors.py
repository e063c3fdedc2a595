"""The error every export step raises on bad input."""


class ExportError(ValueError):
    """The input cannot be exported; the message says why and what to do."""
