"""Sanity checks (Adebayo et al. 2018): the cascading randomisation runs top down on a copy, the
similarities are right on known answers, the directions hold on the shipped model, and the
note quotes what `training.measure_sanity` measured."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import count_hooks, tiny_model
from PIL import Image

from resnet_demo import shapes
from resnet_demo.analysis import MethodError
from resnet_demo.cli import main
from resnet_demo.errors import InvalidValue
from resnet_demo.imaging import encode_png
from resnet_demo.lab import cards
from resnet_demo.lab.sanity import (
    DEFAULT_METHODS,
    STEM,
    TRAINED,
    cascade_steps,
    randomise,
    ranks,
    sanity_check,
    spearman,
    ssim,
)
from resnet_demo.models import load_model
from resnet_demo.text import catalogue
from training.measure_sanity import OUT, SANITY_SEED, final

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BLOCKS_TOP_DOWN = [f"layer{s}.{b}" for s in (4, 3, 2, 1) for b in (1, 0)]


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _shape(i: int = 0, size: int = 128) -> np.ndarray:
    return shapes.generate_sample(SANITY_SEED + i, size).image


def test_the_cascade_goes_from_fc_down_to_the_stem_one_block_at_a_time() -> None:
    """Step 1 changes fc and nothing else, step 2 only layer4.1, …, the last only conv1 + bn1;
    every weight and BatchNorm statistic of the step's part changes (the trained model's
    BatchNorm is not at its default)."""
    module = copy.deepcopy(load_model("embedded").module)
    plan = cascade_steps(module)
    assert plan == [("fc",), *[(b,) for b in BLOCKS_TOP_DOWN], ("conv1", "bn1")]
    for k, parts in enumerate(plan, start=1):
        before = _state(module)
        randomise(module, parts, seed=k)
        after = module.state_dict()
        changed = {key for key in before if not torch.equal(before[key], after[key])}
        in_parts = {key for key in before if any(key.startswith(p + ".") for p in parts)}
        assert changed == in_parts, parts
    for name, sub in module.named_modules():
        if isinstance(sub, torch.nn.BatchNorm2d):
            assert torch.all(sub.running_mean == 0) and torch.all(sub.running_var == 1), name
            assert torch.all(sub.weight == 1) and torch.all(sub.bias == 0), name


def test_re_initialisation_is_seeded() -> None:
    a, b = (copy.deepcopy(tiny_model().module) for _ in range(2))
    randomise(a, ("layer2.0",), seed=5)
    randomise(b, ("layer2.0",), seed=5)
    assert all(
        torch.equal(x, y) for x, y in zip(_state(a).values(), _state(b).values(), strict=True)
    )
    randomise(b, ("layer2.0",), seed=6)
    assert not torch.equal(a.layer2[0].conv1.weight, b.layer2[0].conv1.weight)


def test_a_deep_model_is_randomised_one_stage_at_a_time() -> None:
    module = tiny_model().module
    assert cascade_steps(module, max_block_steps=4) == [
        ("fc",),
        ("layer4",),
        ("layer3",),
        ("layer2",),
        ("layer1",),
        ("conv1", "bn1"),
    ]


def test_the_run_leaves_the_shared_model_as_it_was_and_names_its_steps() -> None:
    model = tiny_model()
    before = _state(model.module)
    check = sanity_check(model, _shape(0, 64), ("gradcam", "guided-gradcam"))
    assert all(torch.equal(v, before[k]) for k, v in model.module.state_dict().items())
    assert count_hooks(model.module) == 0
    assert check.steps == (TRAINED, "fc", *BLOCKS_TOP_DOWN, STEM)
    assert check.randomised[0] == () and check.randomised[1] == ("fc",)
    assert "layer4.1.conv1" in check.randomised[2] and "layer4.1.bn2" in check.randomised[2]
    assert all(name.startswith("layer4.1.") for name in check.randomised[2])
    assert check.randomised[-1] == ("conv1", "bn1")
    for m in check.methods:
        assert check.maps[m].shape == (len(check.steps), 64, 64)
        assert check.spearman_abs[m][0] == pytest.approx(1.0)
        assert check.ssim[m][0] == pytest.approx(1.0)


def test_spearman_and_ssim_on_known_answers() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((32, 32))
    assert spearman(a, a**3 + 5) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert math.isnan(spearman(a, np.zeros_like(a)))
    # Ties share their mean rank: [2, 2, 5, 1] ranks as [1.5, 1.5, 3, 0].
    assert ranks(np.array([2.0, 2.0, 5.0, 1.0])).tolist() == [1.5, 1.5, 3.0, 0.0]
    tied = spearman(np.array([2.0, 2.0, 5.0, 1.0]), np.array([1.0, 2.0, 3.0, 4.0]))
    assert tied == pytest.approx(np.corrcoef([1.5, 1.5, 3.0, 0.0], [0, 1, 2, 3])[0, 1])
    assert ssim(a, a) == pytest.approx(1.0)
    # Two constant maps: SSIM = (2 x y + C1) / (x^2 + y^2 + C1) (the variance terms cancel).
    c1 = 0.01**2
    x, y = np.full((32, 32), 0.2), np.full((32, 32), 0.6)
    assert ssim(x, y) == pytest.approx((2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1))
    noise = rng.random((32, 32))
    assert ssim(a, noise) == pytest.approx(ssim(noise, a)) and ssim(a, noise) < 0.2


def test_bad_methods_are_refused_with_a_clear_message() -> None:
    model = tiny_model()
    with pytest.raises(MethodError, match="unknown attribution method 'nope'"):
        sanity_check(model, _shape(0, 64), ("gradcam", "nope"))
    with pytest.raises(InvalidValue, match="at least one attribution method"):
        sanity_check(model, _shape(0, 64), ())


def test_the_card_names_every_step_and_method(tmp_path: Path) -> None:
    card, numbers = cards.sanity_card(
        tiny_model(), _shape(1, 64), ("gradcam", "saliency"), lang="zh"
    )
    assert card.dtype == np.uint8 and card.shape[1] == 1200 and card.shape[0] > 600
    result = numbers["result"]
    assert numbers["panel"] == "sanity" and result["steps"][0] == TRAINED
    assert set(result["methods"]) == {"gradcam", "saliency"}
    assert len(result["methods"]["saliency"]["ssim"]) == 11
    json.dumps(numbers, allow_nan=False)  # strict JSON: an undefined similarity is null
    assert numbers["caption"][0].startswith("模型：")


def _shape_file(tmp_path: Path) -> Path:
    path = tmp_path / "shape.png"
    path.write_bytes(encode_png(_shape(2)))
    return path


def test_the_cli_writes_the_card_and_numbers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["lab", "sanity", str(_shape_file(tmp_path)), "--methods", "gradcam", "saliency"]
    assert main([*argv, "--out", str(out)]) == 0
    with Image.open(out / "card.png") as card:
        assert card.mode == "RGB" and card.width == 1200
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))["result"]
    assert result["model"] == "embedded" and list(result["methods"]) == ["gradcam", "saliency"]
    assert result["steps"][-1] == STEM


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--methods", "gradcam", "nope"], "unknown attribution method"),
        (["--model", "vgg16"], "unknown model"),
    ],
)
def test_the_cli_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], match: str
) -> None:
    argv = ["lab", "sanity", str(_shape_file(tmp_path)), *extra, "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0]
    assert not (tmp_path / "o" / "result.json").exists()


def _record() -> dict:
    return json.loads(OUT.read_text(encoding="utf-8"))


def _step(record: dict, method: str, measure: str, step: str) -> float:
    return record["methods"][method][measure][record["steps"].index(step)]["mean"]


def test_the_sanity_note_quotes_the_measurement() -> None:
    """note_sanity_measured quotes assets/sanity_measured.json (training/measure_sanity.py):
    the table, the SSIM direction, the mid-cascade SSIM and the zero maps."""
    record = _record()
    en, zh = (catalogue(lang)["note_sanity_measured"] for lang in ("en", "zh"))
    n = record["shapes"]["n"]
    assert record["model"] == "embedded" and record["cam_layer"] == "layer4.1"
    assert f"--shapes {n}`: the embedded model, {n} fresh shapes" in en
    for m in DEFAULT_METHODS:
        row = f"| {m} | {final(record, m, 'spearman_abs'):.2f} | {final(record, m, 'ssim'):.2f} |"
        assert row in en and row in zh, row
    # "By SSIM, Guided Grad-CAM stays by far the most similar": ahead of every other by > 0.25.
    ssim = {m: final(record, m, "ssim") for m in DEFAULT_METHODS}
    others = max(v for m, v in ssim.items() if m != "guided-gradcam")
    assert ssim["guided-gradcam"] > others + 0.25
    # "By rank correlation it does not": its Spearman is not above the other methods'.
    rho = {m: final(record, m, "spearman_abs") for m in DEFAULT_METHODS}
    assert rho["guided-gradcam"] <= max(v for m, v in rho.items() if m != "guided-gradcam")
    mid = {m: _step(record, m, "ssim", "layer3.0") for m in ("guided-gradcam", "gradcam")}
    assert f"its SSIM is still {mid['guided-gradcam']:.2f}, Grad-CAM's {mid['gradcam']:.2f}" in en
    zero = record["methods"]["gradcam"]["zero_maps"][-1]
    assert record["methods"]["guided-gradcam"]["zero_maps"][-1] == zero
    assert f"On {zero} of the {n} shapes Grad-CAM" in en


def test_guided_gradcam_keeps_its_ssim_on_the_shipped_model() -> None:
    """The measured direction, remeasured on the first two shapes of the measurement: after
    the last step Guided Grad-CAM's SSIM with its trained map exceeds Grad-CAM's and
    saliency's on each shape, while all three have a Spearman |map| below 0.5 (where defined);
    and each number is the one assets/sanity_measured.json recorded."""
    record, model = _record(), load_model("embedded")
    methods = ("gradcam", "saliency", "guided-gradcam")
    for i in range(2):
        check = sanity_check(model, _shape(i), methods)
        for m in methods:
            per_shape = record["methods"][m]["last_step_per_shape"]
            for measure in ("spearman_abs", "ssim"):
                value, recorded = check.final(m, measure), per_shape[measure][i]
                if recorded is None:
                    assert math.isnan(value)
                else:
                    assert value == pytest.approx(recorded, abs=2e-3), (i, m, measure)
            rho = check.final(m, "spearman_abs")
            assert math.isnan(rho) or rho < 0.5, (i, m)
        ssim = {m: check.final(m, "ssim") for m in methods}
        assert ssim["guided-gradcam"] > max(ssim["gradcam"], ssim["saliency"]) + 0.2, (i, ssim)
