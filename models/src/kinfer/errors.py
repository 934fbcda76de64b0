"""Exceptions shared by kinfer's exporters (no third-party imports)."""


class ExportError(ValueError):
    """A model cannot be expressed with the operations kinfer supports.

    The message names the offending primitive or value, the model location
    (the Flax module path) when it is known, and what is supported instead.
    """
