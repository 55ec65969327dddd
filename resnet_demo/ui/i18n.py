"""Every string the page shows, in English and 简体中文.

One table serves both halves of the page. Static text (labels, headings, buttons) is sent to the
browser once through Gradio's `gr.I18n`, and the browser picks the language; text the server
writes at run time (the comparison banner, table headings, block strip, error titles) is looked
up with `tr(key, lang)` using the language the page reports with every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from resnet_demo.language import DEFAULT_LANG, LANGS, lookup, normalize_lang

__all__ = ["DEFAULT_LANG", "I18N", "LANGS", "STRINGS", "normalize_lang", "t", "tr", "translations"]

# key -> (English, 简体中文). Full-width punctuation in Chinese is intended.
STRINGS: dict[str, tuple[str, str]] = {
    # ---- page and static components (also sent to the browser through gr.I18n) ----
    "title": ("ResNet Demo", "ResNet 演示"),
    "subtitle": (
        "See what a residual network predicts, where it looks, what each block computes — "
        "and what breaks when you switch skip connections off.",
        "看看残差网络预测了什么、关注图像的哪里、每个残差块计算了什么——"
        "以及关掉跳跃连接后会发生什么。",
    ),
    "language": ("Language / 语言", "语言 / Language"),
    "model": ("Model", "模型"),
    "model_info": (
        "“embedded” is the small ResNet trained on shapes that ships with the app. ImageNet "
        "models need their weights file.",
        "“embedded”是随应用附带的、在形状图上训练的小型 ResNet。ImageNet 模型需要权重文件。",
    ),
    "tab_photo": ("Photo", "照片"),
    "tab_draw": ("Draw a shape", "画一个形状"),
    "image": ("Image — upload, webcam or paste", "图像——上传、摄像头或粘贴"),
    "sketch": (
        "Draw one big shape (pick the brush on the left first)",
        "画一个大的形状（先选择左侧的画笔）",
    ),
    "classify_drawing": ("Classify drawing", "识别这幅画"),
    "examples": ("Examples — click one", "示例——点击一张"),
    "predictions": ("Predictions", "预测结果"),
    "target": ("Grad-CAM explains class", "Grad-CAM 解释的类别"),
    "target_info": (
        "Click a bar above, or type to search every class.",
        "点击上方的条形，或输入文字搜索所有类别。",
    ),
    "cam_layer": ("Grad-CAM layer", "Grad-CAM 所在层"),
    "opacity": ("Heat-map opacity", "热力图不透明度"),
    "top_k": ("Classes shown (top-k)", "显示的类别数（top-k）"),
    "overlay": ("Grad-CAM on the model's view", "模型所见图像上的 Grad-CAM"),
    "raw_cam": ("Raw Grad-CAM map", "原始 Grad-CAM 图"),
    "blocks_heading": ("Residual blocks — the switch panel", "残差块——开关面板"),
    "blocks_help": (
        "Every block computes **y = relu(F(x) + shortcut(x))**. "
        "**intact**: both paths · **no skip**: y = relu(F(x)) · "
        "**no residual**: y = relu(shortcut(x)), the block is skipped (Veit et al. 2016). "
        "The number is ‖F(x)‖ / ‖shortcut(x)‖: how much the block adds to what passes through.",
        "每个残差块计算 **y = relu(F(x) + shortcut(x))**。"
        "**完整**：两条路径都在 · **无跳跃**：y = relu(F(x)) · "
        "**无残差**：y = relu(shortcut(x))，相当于跳过该块（Veit 等，2016）。"
        "数字是 ‖F(x)‖ / ‖shortcut(x)‖：该块在直通信号之上增加了多少。",
    ),
    "presets": ("Presets", "预设"),
    "preset_intact": ("All intact", "全部完整"),
    "preset_no_skip": ("All skips off", "关闭全部跳跃连接"),
    "stage": ("Stage", "阶段"),
    "preset_stage_no_skip": ("Skips off in stage", "关闭该阶段的跳跃连接"),
    "preset_stage_no_residual": ("Residual branches off in stage", "移除该阶段的残差分支"),
    "compare_heading": ("Intact vs switched", "完整网络与开关后网络对比"),
    "compare_table": ("Top classes before → after", "前几名类别：开关前 → 开关后"),
    "cam_intact": ("Grad-CAM, intact", "Grad-CAM（完整）"),
    "cam_switched": ("Grad-CAM, switched", "Grad-CAM（开关后）"),
    "cam_diff": (
        "Difference: red = more, blue = less",
        "差异：红色 = 增加，蓝色 = 减少",
    ),
    "activations_heading": ("What each block computes", "每个残差块计算了什么"),
    "activations": (
        "Channel-mean activation of every block (each tile on its own scale)",
        "每个残差块输出的通道平均激活（每格各自归一化）",
    ),
    "inspect_block": ("Block to inspect", "查看的残差块"),
    "channels": ("Strongest channels of the selected block", "所选残差块中最强的通道"),
    "export_heading": ("Export", "导出"),
    "export": ("Prepare downloads", "准备下载"),
    "download_card": ("Result card (PNG)", "结果卡片（PNG）"),
    "lab": (
        "Classroom lab — lesion sweeps, lesion curves, gradient flow, degradation race",
        "课堂实验室——逐块损伤、损伤曲线、梯度流、退化赛跑",
    ),
    "download_json": ("Numbers (JSON)", "数据（JSON）"),
    "status": ("Status", "状态"),
    # ---- the classroom lab's static labels (its run-time text is in resnet_demo.lab.text) ----
    "lab_heading": (
        "### Classroom lab\nThe experiments of the residual-network papers, live. "
        "Every run exports a card (PNG) and its numbers (JSON).",
        "### 课堂实验室\n残差网络论文中的实验，现场运行。"
        "每次运行都可导出一张卡片（PNG）及其数据（JSON）。",
    ),
    "lab_notes_lang": ("Notes language", "讲解语言"),
    "lab_presenter": (
        "Presenter mode (large notes, essentials)",
        "演示模式（大字号讲解，只显示要点）",
    ),
    "lab_tab_sweep": ("Lesion sweep", "逐块损伤"),
    "lab_tab_curves": ("Lesion curves", "损伤曲线"),
    "lab_tab_flow": ("Gradient flow", "梯度流"),
    "lab_tab_race": ("Degradation race", "退化赛跑"),
    "lab_tab_about": ("About ResNets", "关于 ResNet"),
    "lab_image": ("Image", "图像"),
    "lab_src_main": ("Main tab's image", "主页面的图像"),
    "lab_src_shape": ("Generated shape", "生成的形状"),
    "lab_shape_number": ("Shape number", "形状编号"),
    "lab_run_sweep": ("Run lesion sweep", "运行逐块损伤"),
    "lab_card": ("Card (PNG)", "卡片（PNG）"),
    "lab_numbers": ("Numbers (JSON)", "数据（JSON）"),
    "lab_image_set": ("Image set", "图像集"),
    "lab_set_shapes": ("Fresh shapes (accuracy)", "新生成的形状（准确率）"),
    "lab_set_examples": ("Example pictures", "示例图片"),
    "lab_shapes": ("Shapes", "形状数量"),
    "lab_draws": ("Draws per k", "每个 k 的随机抽取次数"),
    "lab_seed": ("Seed", "随机种子"),
    "lab_run_curves": ("Run lesion curves", "运行损伤曲线"),
    "lab_depths": ("Depths (layers)", "深度（层数）"),
    "lab_networks": ("Networks", "网络"),
    "lab_at_init": ("At initialisation (seconds)", "初始化时（几秒钟）"),
    "lab_after_30": ("After 30 training steps (1-2 min)", "训练 30 步后（1–2 分钟）"),
    "lab_measure": ("Measure gradients", "测量梯度"),
    "lab_shattered": ("Shattered gradients", "破碎的梯度"),
    "lab_norms": ("Gradient norms", "梯度范数"),
    "lab_depth": ("Depth (layers)", "深度（层数）"),
    "lab_seconds": ("Seconds", "秒数"),
    "lab_start_race": ("Start race", "开始赛跑"),
    "lab_stop": ("Stop", "停止"),
    "lab_loss": ("Training loss", "训练损失"),
    "lab_export_card": ("Export card", "导出卡片"),
    # ---- run-time text written by the server ----
    "ready": (
        "Pick an example or upload a photo to start.",
        "选择一个示例或上传一张照片开始。",
    ),
    "state_embedded": ("built in", "内置"),
    "state_on_disk": ("on disk", "已在本机"),
    "state_needs_download": ("needs download", "需要下载"),
    "state_loaded": ("loaded", "已加载"),
    "using_model": ("Using **{model}** ({source}).", "正在使用 **{model}**（{source}）。"),
    "downloading": ("Getting the {model} weights…", "正在获取 {model} 的权重…"),
    "download_failed": (
        "Could not load {model}; still using {current}.",
        "无法加载 {model}；仍在使用 {current}。",
    ),
    "auto_target": ("Automatic: top-1 class", "自动：第一名类别"),
    "stage_choice": ("{stage} (= {block})", "{stage}（= {block}）"),
    "mode_intact": ("intact", "完整"),
    "mode_no_skip": ("no skip", "无跳跃"),
    "mode_no_residual": ("no residual", "无残差"),
    "strip_ratio": ("‖F‖/‖shortcut‖", "‖F‖/‖shortcut‖"),
    "strip_skip_off": ("skip off", "跳跃已关"),
    "strip_projection": ("1×1 projection shortcut", "1×1 投影捷径"),
    "strip_empty": ("analyse an image to see the numbers", "分析一张图像后显示数值"),
    "banner_none": (
        "All blocks intact. Flip a switch below (or pick a preset) to compare.",
        "所有残差块都完整。切换下方的开关（或选择预设）来对比。",
    ),
    "banner_changed": ("Top-1 changed: {before} → {after}", "第一名改变了：{before} → {after}"),
    "banner_same": ("Top-1 unchanged: {label}", "第一名没变：{label}"),
    "banner_switched": ("{n} block(s) switched: {blocks}", "{n} 个块被切换：{blocks}"),
    "col_class": ("Class", "类别"),
    "col_before": ("Intact", "完整"),
    "col_after": ("Switched", "开关后"),
    "col_change": ("Δ", "Δ"),
    "col_rank": ("Rank", "名次"),
    "view_caption": (
        "Model view {size}×{size} px · explaining **{target}** at **{layer}** "
        "({h}×{w} map) · {switches}",
        "模型输入 {size}×{size} 像素 · 解释 **{target}**，位于 **{layer}**"
        "（{h}×{w} 的图）· {switches}",
    ),
    "no_switches": ("all blocks intact", "所有块完整"),
    "n_switched": ("{n} block(s) switched", "{n} 个块被切换"),
    "channel_title": ("ch {index}", "通道 {index}"),
    "card_title": ("{model} · {image}", "{model} · {image}"),
    "card_model": ("Model: {model} (weights: {source})", "模型：{model}（权重：{source}）"),
    "card_target": ("Grad-CAM: {target} at {layer}", "Grad-CAM：{target}，位于 {layer}"),
    "card_switches": ("Switches: {switches}", "开关：{switches}"),
    "card_top1": (
        "Top-1 intact → switched: {before} → {after}",
        "第一名 完整 → 开关后：{before} → {after}",
    ),
    "panel_switched": ("Grad-CAM, switched", "Grad-CAM（开关后）"),
    "panel_diff": ("Difference", "差异"),
    "drawing": ("drawing", "手绘"),
    "uploaded": ("upload", "上传"),
    # ---- errors (titles are short; the message says what to do) ----
    "err_image": ("Could not read this image", "无法读取这张图像"),
    "err_setting": ("Invalid setting", "无效的设置"),
    "err_model": ("Model not available", "模型不可用"),
    "err_failed": ("Something went wrong", "出错了"),
    "err_failed_msg": (
        "The analysis failed. Please try again or use another image.",
        "分析失败。请重试或换一张图像。",
    ),
    "err_no_image": ("Add an image first", "请先添加一张图像"),
    "err_no_image_msg": (
        "Upload a photo, paste one, use the webcam or click an example.",
        "上传或粘贴一张照片、使用摄像头，或点击一个示例。",
    ),
    "err_empty_drawing": ("Draw a shape first.", "请先画一个形状。"),
    "busy": ("The class is busy — try again in a moment.", "同学们正在使用——请稍后再试。"),
}


def tr(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The string `key` in `lang`, with `{name}` fields filled from `values`.

    Args:
        key: a key of `STRINGS`.
        lang: "en" or "zh" (anything else falls back to English).
        **values: fields to format into the string.

    Raises:
        KeyError: for an unknown key (a programming error, caught by the tests).
    """
    return lookup(STRINGS, key, lang, **values)


KEY_PREFIX = "rd_"
"""Prefix of our keys in the browser's tables: Gradio's own keys ("image", "common", …) are
nested objects there, and a bare "image" would shadow them."""


def translations(lang: str) -> dict[str, str]:
    """The whole table in one language, keys prefixed, as `gr.I18n` wants it."""
    index = 1 if lang == "zh" else 0
    return {KEY_PREFIX + key: pair[index] for key, pair in STRINGS.items()}


def build_i18n() -> gr.I18n:
    """The `gr.I18n` for `launch()`: English, and Chinese under every tag a browser may send."""
    zh = translations("zh")
    tables: Mapping[str, dict[str, str]] = {
        "en": translations("en"),
        "zh": zh,
        "zh-CN": zh,
        "zh-Hans": zh,
    }
    return gr.I18n(**tables)


I18N = build_i18n()
"""The app's translations, passed to `launch(i18n=...)`."""


def t(key: str) -> gr.i18n.I18nData:
    """Mark the static string `key` for the browser to show in its language.

    Raises:
        KeyError: for an unknown key, at build time rather than as a blank label.
    """
    if key not in STRINGS:
        raise KeyError(key)
    return I18N(KEY_PREFIX + key)
