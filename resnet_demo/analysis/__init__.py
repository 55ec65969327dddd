"""Everything numeric: top-k, Grad-CAM, activations, block stats, comparisons. Never draws."""

from resnet_demo.analysis.compare import compare
from resnet_demo.analysis.engine import (
    AnalysisError,
    analyze,
    attribution_map,
    class_probabilities,
    grad_cam,
)
from resnet_demo.analysis.methods import METHOD_NAMES, METHODS, MethodError
from resnet_demo.analysis.results import (
    Analysis,
    BlockActivation,
    BlockStats,
    ClassChange,
    Comparison,
)

__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "Analysis",
    "AnalysisError",
    "BlockActivation",
    "BlockStats",
    "ClassChange",
    "Comparison",
    "MethodError",
    "analyze",
    "attribution_map",
    "class_probabilities",
    "compare",
    "grad_cam",
]
