"""What the model sees: resize, centre crop and normalise, with values taken from the weights.

torchvision ships each weights version with its preprocessing (`weights.transforms()`, an
`ImageClassification` with `resize_size`, `crop_size`, `mean`, `std`, `interpolation`). We apply
the same operations in the same order, but stop half-way to keep the uint8 crop: the Grad-CAM
overlay is drawn on exactly the pixels the network received.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as F


@dataclass(frozen=True)
class Preprocessing:
    """Resize-then-crop preprocessing of one model.

    Attributes:
        resize_size: the shorter image side is resized to this many pixels first.
        crop_size: side of the square centre crop the network receives.
        mean: per-channel mean of the normalisation, RGB order, for images in [0, 1].
        std: per-channel standard deviation of the normalisation.
        interpolation: torchvision interpolation mode name of the resize ("bilinear").
    """

    resize_size: int
    crop_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bilinear"

    @classmethod
    def from_transforms(cls, transforms: object) -> Preprocessing:
        """Read the values of a torchvision `ImageClassification` transform.

        Args:
            transforms: what `weights.transforms()` returns.

        Returns:
            The same preprocessing as a frozen value.
        """
        resize = list(transforms.resize_size)
        crop = list(transforms.crop_size)
        return cls(
            resize_size=int(resize[0]),
            crop_size=int(crop[0]),
            mean=tuple(float(v) for v in transforms.mean),
            std=tuple(float(v) for v in transforms.std),
            interpolation=InterpolationMode(transforms.interpolation).value,
        )

    def model_view(self, image: np.ndarray) -> np.ndarray:
        """Resize and centre-crop an image exactly as torchvision's transform does.

        Args:
            image: RGB uint8 array (H, W, 3).

        Returns:
            A new RGB uint8 array (crop_size, crop_size, 3): what the network sees.
        """
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(
                f"expected an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}"
            )
        tensor = torch.from_numpy(np.require(image, requirements=["C", "W"])).permute(2, 0, 1)
        tensor = F.resize(
            tensor,
            [self.resize_size],
            interpolation=InterpolationMode(self.interpolation),
            antialias=True,
        )
        tensor = F.center_crop(tensor, [self.crop_size])
        return tensor.permute(1, 2, 0).contiguous().numpy().copy()

    def to_tensor(self, view: np.ndarray) -> torch.Tensor:
        """Normalise a model view into the network's input.

        Args:
            view: RGB uint8 array (crop_size, crop_size, 3) from `model_view`.

        Returns:
            float32 tensor (1, 3, crop_size, crop_size), normalised with `mean` and `std`.
        """
        tensor = torch.from_numpy(np.require(view, requirements=["C", "W"])).permute(2, 0, 1)
        # Channels-first memory before normalising: the same values, in a third of the time
        # (broadcasting the per-channel mean over the image's interleaved layout is slow).
        tensor = F.convert_image_dtype(tensor, torch.float32).contiguous()
        return F.normalize(tensor, list(self.mean), list(self.std)).unsqueeze(0)
