"""What can be wrong with a weights or labels file: the errors of `models`' loaders.

Keys of the catalogue's `[errors_engine]` table: `weights_*` for weights, `labels_*` for labels.
"""

from __future__ import annotations

from resnet_demo.errors import DemoError

__all__ = ["LabelsError", "WeightsError", "WeightsUnavailable"]


class WeightsError(DemoError):
    """Weights that cannot be used: missing, not a state_dict, wrong keys or shapes (keys
    `weights_*` of the catalogue's `[errors_engine]` table)."""


class WeightsUnavailable(WeightsError):
    """ImageNet weights are neither on disk nor downloadable; the message says what to do."""


class LabelsError(WeightsError):
    """A labels file that cannot be used (keys `labels_*` of `[errors_engine]`)."""
