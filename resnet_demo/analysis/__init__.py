"""Everything numeric: top-k, Grad-CAM, activations, block stats, comparisons. Never draws."""

from resnet_demo.analysis.compare import compare
from resnet_demo.analysis.engine import AnalysisError, analyze, grad_cam
from resnet_demo.analysis.results import (
    Analysis,
    BlockActivation,
    BlockStats,
    ClassChange,
    Comparison,
)

__all__ = [
    "Analysis",
    "AnalysisError",
    "BlockActivation",
    "BlockStats",
    "ClassChange",
    "Comparison",
    "analyze",
    "compare",
    "grad_cam",
]
