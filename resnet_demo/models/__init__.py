"""Model registry, weight sources, labels and preprocessing. Knows nothing about Gradio."""

from resnet_demo.models.errors import LabelsError, WeightsError, WeightsUnavailable
from resnet_demo.models.loading import (
    RANDOM,
    LoadedModel,
    hub_cache_path,
    load_model,
    load_model_or_embedded,
    read_state_dict,
    weights_status,
)
from resnet_demo.models.preprocessing import Preprocessing
from resnet_demo.models.registry import (
    EMBEDDED,
    EMBEDDED_DEEP,
    EMBEDDED_MODELS,
    EMBEDDED_NO_SD,
    ModelNameError,
    ModelSpec,
    model_names,
    parse_model_name,
)

__all__ = [
    "EMBEDDED",
    "EMBEDDED_DEEP",
    "EMBEDDED_MODELS",
    "EMBEDDED_NO_SD",
    "RANDOM",
    "LabelsError",
    "LoadedModel",
    "ModelNameError",
    "ModelSpec",
    "Preprocessing",
    "WeightsError",
    "WeightsUnavailable",
    "hub_cache_path",
    "load_model",
    "load_model_or_embedded",
    "model_names",
    "parse_model_name",
    "read_state_dict",
    "weights_status",
]
