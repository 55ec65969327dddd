"""Every word the lab writes at run time, in English and 简体中文.

Charts, cards, summaries, status lines and error messages of the classroom lab look their text up
here with `say(key, lang, **values)`. The lab's static labels (buttons, sliders, tab names) are
in the app's table (`resnet_demo.ui.i18n`), which the browser translates by itself.
"""

from __future__ import annotations

import re
from typing import Any

from resnet_demo.language import lookup

# key -> (English, 简体中文). Fields in braces are filled by `say`; full-width punctuation in
# Chinese is intended.
STRINGS: dict[str, tuple[str, str]] = {
    # ---- shared words ----
    "intact": ("intact", "完整"),
    "chance": ("chance", "随机水平"),
    "plain_net": ("plain-{depth}", "普通网络-{depth}"),
    "resnet_net": ("ResNet-{depth}", "ResNet-{depth}"),
    "at_init": ("at initialisation", "初始化时"),
    "after_steps": ("after {steps} steps", "训练 {steps} 步后"),
    "none": ("none", "无"),
    "model_line": ("Model: {model} · weights: {weights}", "模型：{model} · 权重：{weights}"),
    "main_image": ("main-tab image", "主页面的图像"),
    "shape_image": ("shape #{n}", "形状 #{n}"),
    "image": ("image", "图像"),
    "working": ("Working…", "计算中…"),
    # ---- race states (RaceSnapshot.status) ----
    "running": ("running", "进行中"),
    "finished": ("finished", "已完成"),
    "out of time": ("out of time", "时间到"),
    "stopped": ("stopped", "已停止"),
    # ---- image sets (the two descriptions of `image_sets`) ----
    "set_shapes": ("{n} fresh shapes (seeds {first}…)", "{n} 个新生成的形状（种子 {first}…）"),
    "set_examples": ("{n} example pictures", "{n} 张示例图片"),
    # ---- lesion sweep ----
    "sweep_title": ("Lesion sweep — {model} · {image}", "逐块损伤——{model} · {image}"),
    "sweep_intact_bar": ("intact: {label}", "完整：{label}"),
    "sweep_branch": ("Residual branch removed", "移除残差分支"),
    "sweep_skip": ("Skip removed", "移除跳跃连接"),
    "sweep_summary": (
        "Bars: probability of the intact top-1 class, **{label}** ({prob:.1f}% intact). "
        "Top-1 changed in **{branch} of {n}** branch lesions and **{skip} of {n}** skip "
        "lesions. {down} downsampling block · {changed} top-1 changed.",
        "条形：完整网络第一名类别 **{label}** 的概率（完整时 {prob:.1f}%）。"
        "逐一移除残差分支的 {n} 次中有 **{branch} 次**、逐一移除跳跃连接的 {n} 次中有 "
        "**{skip} 次**改变了第一名。{down} 下采样块 · {changed} 第一名改变。",
    ),
    "sweep_image_line": (
        "Image: {image} (sha1 {digest}) · bars: probability of the intact top-1 class, "
        "{label} ({prob:.1f}% intact)",
        "图像：{image}（sha1 {digest}）· 条形：完整网络第一名类别 {label} 的概率（完整时 "
        "{prob:.1f}%）",
    ),
    "sweep_switch_line": (
        "Switches: one block at a time — no-residual (branch removed) or no-skip (skip "
        "removed); every other block intact.",
        "开关：每次只改一个块——无残差（移除分支）或无跳跃（移除跳跃连接）；其余块保持完整。",
    ),
    "sweep_changed_line": (
        "Top-1 changed ({changed}) with branch removed: {branch} · with skip removed: {skip} · "
        "{down} downsampling block (projection shortcut).",
        "第一名改变（{changed}）——移除分支时：{branch} · 移除跳跃连接时：{skip} · "
        "{down} 下采样块（投影捷径）。",
    ),
    # ---- lesion curves ----
    "curves_title": ("Lesion curves — {model}", "损伤曲线——{model}"),
    "curves_chart_title": ("Lesion curves — {model}, {images}", "损伤曲线——{model}，{images}"),
    "curves_branches": ("residual branches removed", "移除残差分支"),
    "curves_skips": ("skips removed", "移除跳跃连接"),
    "curves_x": ("blocks lesioned (k)", "被损伤的块数（k）"),
    "accuracy": ("accuracy", "准确率"),
    "agreement": ("agreement with intact top-1", "与完整网络第一名的一致率"),
    "curves_summary": (
        "{metric} on {images}: intact **{intact:.2f}**; with {k} residual branches removed "
        "**{branch:.2f}**, with {k} skips removed **{skip:.2f}** (chance {chance:.2f}).",
        "{metric}（{images}）：完整 **{intact:.2f}**；移除 {k} 个残差分支后 **{branch:.2f}**，"
        "移除 {k} 个跳跃连接后 **{skip:.2f}**（随机水平 {chance:.2f}）。",
    ),
    "curves_images_line": (
        "Images: {images} · score: {metric} · intact: {intact:.3f} · chance: {chance:.3f}",
        "图像：{images} · 指标：{metric} · 完整：{intact:.3f} · 随机水平：{chance:.3f}",
    ),
    "curves_switch_line": (
        "Switches: k random blocks no-residual (branches removed) or no-skip (skips removed), "
        "{draws} random draws per k (seed {seed}); band = ± 1 s.d. over draws.",
        "开关：随机选 k 个块设为无残差（移除分支）或无跳跃（移除跳跃连接），每个 k 随机抽取 "
        "{draws} 次（种子 {seed}）；阴影带 = 各次抽取的 ±1 标准差。",
    ),
    "curves_k_line": (
        "k={k1}: branches {b1:.3f} vs skips {s1:.3f} · k={k2}: branches {b2:.3f} vs skips {s2:.3f}",
        "k={k1}：分支 {b1:.3f}，跳跃 {s1:.3f} · k={k2}：分支 {b2:.3f}，跳跃 {s2:.3f}",
    ),
    # ---- gradient flow ----
    "flow_title": (
        "Gradient flow — plain vs residual ({when})",
        "梯度流——普通网络与残差网络（{when}）",
    ),
    "flow_norm_title": (
        "Gradient norm at each block's input ({when})",
        "每个块输入处的梯度范数（{when}）",
    ),
    "flow_norm_x": ("block (0 = nearest the input)", "块（0 = 最靠近输入）"),
    "flow_corr_title": (
        "Similarity of nearby input gradients ({when})",
        "相邻点输入梯度的相似度（{when}）",
    ),
    "flow_corr_x": ("distance along the line (steps)", "沿直线的距离（步）"),
    "flow_corr_y": ("mean cosine similarity", "平均余弦相似度"),
    "flow_line": (
        "{depth} layers: neighbour-gradient similarity plain {plain:.2f} vs ResNet "
        "{residual:.2f}; gradient norm first/last block plain ×{plain_ratio:.3g}, ResNet "
        "×{residual_ratio:.3g}.",
        "{depth} 层：相邻梯度相似度 普通网络 {plain:.2f}，ResNet {residual:.2f}；"
        "首块/末块梯度范数之比 普通网络 ×{plain_ratio:.3g}，ResNet ×{residual_ratio:.3g}。",
    ),
    "flow_how_init": (
        "seed {seed}, BatchNorm statistics set from {n} shapes",
        "种子 {seed}，BatchNorm 统计量由 {n} 个形状设定",
    ),
    "flow_how_trained": (
        "{steps} Adam steps (seed {seed}) on {n} shapes",
        "在 {n} 个形状上训练 {steps} 步 Adam（种子 {seed}）",
    ),
    "flow_models_line": (
        "Models: CIFAR-style ResNets (He et al. 2016 §4.2, option-A shortcuts) and plain twins "
        "(skips off), depths {depths}, {how}, {size} px.",
        "模型：CIFAR 式 ResNet（He 等 2016 §4.2，A 型捷径）及其去掉跳跃连接的普通网络，"
        "深度 {depths}，{how}，{size} 像素。",
    ),
    "flow_method_line": (
        "Gradient norm: mean over 32 images of ‖∂loss/∂(block input)‖. Similarity: cosine of "
        "the input gradients of the class logit at points 1…8 steps apart on lines between "
        "two images (32 points per line, 4 lines).",
        "梯度范数：32 张图像上 ‖∂loss/∂(块输入)‖ 的平均。相似度：在两张图像之间的直线上"
        "（每条 32 个点，共 4 条），相距 1…8 步的点处类别 logit 输入梯度的余弦。",
    ),
    # ---- degradation race ----
    "race_title": ("Degradation race — {depth} layers", "退化赛跑——{depth} 层"),
    "race_chart_title": (
        "Training loss, plain vs residual, {depth} layers ({status})",
        "训练损失：普通网络与残差网络，{depth} 层（{status}）",
    ),
    "race_x": ("training step", "训练步数"),
    "race_y": ("cross-entropy (running mean of 10)", "交叉熵（10 步滑动平均）"),
    "race_after": ("{status} after {seconds:.0f} s · ", "{status}，用时 {seconds:.0f} 秒 · "),
    "race_seconds": ("{elapsed:.0f} / {budget:.0f} s · ", "{elapsed:.0f} / {budget:.0f} 秒 · "),
    "race_starting": (
        "generating the training shapes and building both networks…",
        "正在生成训练形状并构建两个网络…",
    ),
    "race_step": (
        "step **{step}** — mean training loss of the last 20 steps: plain **{plain:.3f}**, "
        "ResNet **{residual:.3f}**.",
        "第 **{step}** 步——最近 20 步的平均训练损失：普通网络 **{plain:.3f}**，"
        "ResNet **{residual:.3f}**。",
    ),
    "race_stopped": ("Stopped.", "已停止。"),
    "race_models_line": (
        "Models: plain-{depth} and ResNet-{depth} (CIFAR-style, option-{shortcut} shortcuts), "
        "identical starting weights (seed {seed}).",
        "模型：普通网络-{depth} 与 ResNet-{depth}（CIFAR 式，{shortcut} 型捷径），"
        "初始权重相同（种子 {seed}）。",
    ),
    "race_training_line": (
        "Training: {steps} steps each ({status}, {seconds:.0f} s), Adam lr {lr}, batch {batch}, "
        "fixed set of {n} synthetic shapes at {size} px, same batches for both.",
        "训练：各 {steps} 步（{status}，{seconds:.0f} 秒），Adam 学习率 {lr}，批大小 {batch}，"
        "固定的 {n} 个 {size} 像素合成形状，两个网络使用相同的批次。",
    ),
    "race_loss_line": (
        "Mean training loss over the last 20 steps: plain {plain:.3f}, ResNet {residual:.3f} "
        "(chance level ln 10 = 2.303).",
        "最近 20 步的平均训练损失：普通网络 {plain:.3f}，ResNet {residual:.3f}"
        "（随机水平 ln 10 = 2.303）。",
    ),
    # ---- what the user did wrong, and what to do ----
    "err_main_image": (
        "Load an image in the main tab first, or choose a generated shape.",
        "请先在主页面载入一张图像，或选择生成的形状。",
    ),
    "err_depths": ("Choose at least one depth.", "请至少选择一个深度。"),
    "err_race_first": (
        "Run the race first (a few steps at least).",
        "请先运行赛跑（至少几步）。",
    ),
    "err_failed": ("The experiment failed; please try again.", "实验失败，请重试。"),
    "err_number": ("{name} must be a number", "{name}必须是数字"),
    "err_range": (
        "{name} must be a whole number from {lo} to {hi}",
        "{name}必须是 {lo} 到 {hi} 之间的整数",
    ),
    "field_shape_number": ("shape number", "形状编号"),
    "field_images": ("images", "图像数量"),
    "field_draws": ("draws", "抽取次数"),
    "field_seed": ("seed", "随机种子"),
    "field_depth": ("depth", "深度"),
    "field_steps": ("training steps", "训练步数"),
    "field_budget": ("time budget", "时间预算"),
}


def say(key: str, lang: object = "en", **values: Any) -> str:
    """The string `key` in `lang` ("en" or "zh"; anything else is English), fields filled in.

    Raises:
        KeyError: for an unknown key (a programming error, caught by the tests).
    """
    return lookup(STRINGS, key, lang, **values)


_SET_PATTERNS = (
    ("set_shapes", re.compile(r"^(?P<n>\d+) fresh shapes \(seeds (?P<first>\d+)…\)$")),
    ("set_examples", re.compile(r"^(?P<n>\d+) example pictures$")),
)


def image_set_name(description: str, lang: object = "en") -> str:
    """An image set's description (as `image_sets` writes it, in English) in `lang`.

    Unknown descriptions come back unchanged.
    """
    for key, pattern in _SET_PATTERNS:
        match = pattern.match(description)
        if match:
            return say(key, lang, **match.groupdict())
    return description
