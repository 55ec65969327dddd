"""ResNet Demo: see how a residual network works.

Python entry points:

- `load_model(name="embedded", weights=None)` -> `LoadedModel`: a torchvision ResNet in eval
  mode with its class names and preprocessing. `name` is "embedded" or "resnet18" …
  "resnet152" (optionally ":IMAGENET1K_V1"/":IMAGENET1K_V2"); `weights` a state_dict path,
  "random", or None.
- `analyze(model, image, switches=None, target=None, cam_layer="layer4", top_k=5)` ->
  `Analysis`: `image` is RGB uint8 (H, W, 3); the result holds the model view (S, S, 3) uint8,
  probabilities float32 (num_classes,), top-k, Grad-CAM float32 (S, S) in [0, 1], per-block
  activation maps float32 (h, w) in [0, 1] and per-block ‖F(x)‖ / ‖shortcut(x)‖.
- `compare(intact, switched)` -> `Comparison`: probability and rank changes, the top-1 flag and
  both Grad-CAMs plus their difference (float32 (S, S), in [-1, 1]) on one shared scale.
"""

from resnet_demo.analysis import Analysis, Comparison, analyze, compare
from resnet_demo.models import LoadedModel, load_model

__all__ = ["Analysis", "Comparison", "LoadedModel", "analyze", "compare", "load_model"]
