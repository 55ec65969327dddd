"""ResNet Demo: see how a residual network works.

Python entry points:

- `load_model(name="embedded", weights=None)` -> `LoadedModel`: a torchvision ResNet in eval
  mode with its class names and preprocessing. `name` is "embedded", "embedded-no-sd",
  "embedded-deep" or "resnet18" … "resnet152" (optionally ":IMAGENET1K_V1"/":IMAGENET1K_V2");
  `weights` a state_dict path, "random", or None.
- `analyze(model, image, switches=None, target=None, cam_layer="layer4", top_k=5,
  n_channels=8, method="gradcam", method_settings=None, all_stages=False)` -> `Analysis`:
  `image` is RGB uint8 (H, W, 3); the result holds the model view (S, S, 3) uint8,
  probabilities float32 (num_classes,), top-k, the method's map float32 (S, S) in [0, 1]
  ([-1, 1] for the signed methods, `Analysis.signed`), per-block activation maps float32 (h, w)
  in [0, 1] and per-block ‖F(x)‖ / ‖shortcut(x)‖.
- `compare(intact, switched)` -> `Comparison`: probability and rank changes, the top-1 flag and
  both maps plus their difference (float32 (S, S), in [-1, 1], or [-2, 2] for signed methods)
  on one shared scale.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Analysis": "resnet_demo.analysis",
    "Comparison": "resnet_demo.analysis",
    "analyze": "resnet_demo.analysis",
    "compare": "resnet_demo.analysis",
    "LoadedModel": "resnet_demo.models",
    "load_model": "resnet_demo.models",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import lazily, so that torch-free parts (`imaging`, `render`) stay torch-free."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'resnet_demo' has no attribute {name!r}")
