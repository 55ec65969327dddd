"""What the model sees: resize, centre crop and normalise, with values taken from the weights.

torchvision ships each weights version with its preprocessing (`weights.transforms()`, an
`ImageClassification` with `resize_size`, `crop_size`, `mean`, `std`, `interpolation`). We apply
the same operations in the same order, but stop half-way to keep the uint8 crop: the Grad-CAM
overlay is drawn on exactly the pixels the network received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as F

from resnet_demo.errors import InvalidValue


def normalise(
    images: np.ndarray,
    mean: Sequence[float] | torch.Tensor,
    std: Sequence[float] | torch.Tensor,
    *,
    channels_first: bool = True,
) -> torch.Tensor:
    """The one normaliser: RGB uint8 images -> the float input of a network.

    Pixels are divided by 255, then `(x - mean) / std` per channel: torchvision's
    `convert_image_dtype` and `normalize`, so the numbers are those of `weights.transforms()`.

    Args:
        images: RGB uint8 (N, H, W, 3). Not modified.
        mean: per-channel mean (3,) for pixels in [0, 1].
        std: per-channel standard deviation (3,).
        channels_first: copy to channels-first memory before normalising (the same values, in a
            third of the time: broadcasting the per-channel mean over the interleaved layout is
            slow). False keeps the images' interleaved (channels-last) memory. Default: True.

    Returns:
        A new float32 tensor (N, 3, H, W).

    Raises:
        InvalidValue: `images` is not uint8 (N, H, W, 3) (key `preprocess_not_rgb`, a
            ValueError).
    """
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3:
        raise InvalidValue("preprocess_not_rgb", got=f"{images.dtype} {images.shape}")
    x = torch.from_numpy(np.require(images, requirements=["C", "W"])).permute(0, 3, 1, 2)
    if channels_first:
        x = x.contiguous()
    x = F.convert_image_dtype(x, torch.float32)
    return F.normalize(x, torch.as_tensor(mean).tolist(), torch.as_tensor(std).tolist())


class ClassificationTransform(Protocol):
    """What `Preprocessing.from_transforms` reads of torchvision's `ImageClassification`."""

    @property
    def resize_size(self) -> Sequence[int]: ...  # one value: the shorter side
    @property
    def crop_size(self) -> Sequence[int]: ...  # one value: the side of the square crop
    @property
    def mean(self) -> Sequence[float]: ...  # (3,) RGB
    @property
    def std(self) -> Sequence[float]: ...  # (3,) RGB
    @property
    def interpolation(self) -> InterpolationMode: ...


def _rgb(values: Sequence[float]) -> tuple[float, float, float]:
    r, g, b = (float(v) for v in values)
    return r, g, b


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
    def from_transforms(cls, transforms: ClassificationTransform) -> Preprocessing:
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
            mean=_rgb(transforms.mean),
            std=_rgb(transforms.std),
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
            raise InvalidValue("preprocess_not_rgb", got=f"{image.dtype} {image.shape}")
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
        return normalise(view[None], self.mean, self.std)
