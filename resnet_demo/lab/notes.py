"""Teaching notes for the lab's panels, in English and 简体中文, with their sources.

Every claim here is either a finding of a cited paper or a plain description of what this app
computes; each note lists its sources. Each note comes in two lengths: the full note beside a
panel, and the essentials for presenter mode (large type on a projector).

Where our own measurements add something the papers did not state (e.g. that gradients *grow*
towards the input in our BatchNorm plain networks at initialisation), the note says it is our
measurement, not the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass

from resnet_demo.language import LANGS

REFERENCES: dict[str, str] = {
    "he2016": (
        "K. He, X. Zhang, S. Ren, J. Sun. Deep Residual Learning for Image Recognition. "
        "CVPR 2016. arXiv:1512.03385"
    ),
    "veit2016": (
        "A. Veit, M. Wilber, S. Belongie. Residual Networks Behave Like Ensembles of Relatively "
        "Shallow Networks. NeurIPS 2016. arXiv:1605.06431"
    ),
    "li2018": (
        "H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein. Visualizing the Loss Landscape of "
        "Neural Nets. NeurIPS 2018. arXiv:1712.09913"
    ),
    "balduzzi2017": (
        "D. Balduzzi, M. Frean, L. Leary, J.P. Lewis, K. W.-D. Ma, B. McWilliams. The Shattered "
        "Gradients Problem: If resnets are the answer, then what is the question? ICML 2017. "
        "arXiv:1702.08591"
    ),
    "selvaraju2017": (
        "R. R. Selvaraju, M. Cogswell, A. Das, R. Vedantam, D. Parikh, D. Batra. Grad-CAM: "
        "Visual Explanations from Deep Networks via Gradient-based Localization. ICCV 2017. "
        "arXiv:1610.02391"
    ),
    "yang2019": (
        "G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein, S. S. Schoenholz. A Mean Field "
        "Theory of Batch Normalization. ICLR 2019. arXiv:1902.08129"
    ),
    "chollet2017": (
        "F. Chollet. Xception: Deep Learning with Depthwise Separable Convolutions. CVPR 2017. "
        "arXiv:1610.02357"
    ),
    "howard2017": (
        "A. G. Howard et al. MobileNets: Efficient Convolutional Neural Networks for Mobile "
        "Vision Applications. arXiv:1704.04861, 2017"
    ),
}
"""Key -> full citation."""

SHORT_NAMES: dict[str, str] = {
    "he2016": "He et al. 2016",
    "veit2016": "Veit et al. 2016",
    "li2018": "Li et al. 2018",
    "balduzzi2017": "Balduzzi et al. 2017",
    "selvaraju2017": "Selvaraju et al. 2017",
    "yang2019": "Yang et al. 2019",
    "chollet2017": "Chollet 2017",
    "howard2017": "Howard et al. 2017",
}


@dataclass(frozen=True)
class Note:
    """One panel's note.

    Attributes:
        key: panel key, e.g. "lesion_sweep".
        title: language -> heading.
        body: language -> full note (Markdown).
        essentials: language -> presenter-mode note (Markdown, a few short lines).
        sources: keys of `REFERENCES` the note relies on.
    """

    key: str
    title: dict[str, str]
    body: dict[str, str]
    essentials: dict[str, str]
    sources: tuple[str, ...]


NOTES: dict[str, Note] = {}


def _add(note: Note) -> None:
    for field in (note.title, note.body, note.essentials):
        assert set(field) == set(LANGS), note.key
    assert all(s in REFERENCES for s in note.sources), note.key
    NOTES[note.key] = note


_add(
    Note(
        key="block",
        title={"en": "What a residual block computes", "zh": "残差块计算什么"},
        body={
            "en": (
                "A residual block computes **y = relu(F(x) + shortcut(x))**. F, the *residual "
                "branch*, is conv 3×3 → BatchNorm → ReLU → conv 3×3 → BatchNorm (three "
                "convolutions, 1×1-3×3-1×1, in the bottleneck blocks of ResNet-50 and deeper). "
                "The *shortcut* is the identity, except in the first block of a stage, where "
                "the resolution halves and the width doubles: there it is a 1×1 convolution "
                "with stride 2 and BatchNorm (a *projection*, He et al.'s option B; option A "
                "pads the identity with zeros).\n\n"
                "The idea (He et al. 2016, §3.1): instead of asking a few layers to produce a "
                "desired mapping H(x) directly, let them produce the *correction* "
                "F(x) = H(x) − x. If the identity is nearly right, the layers only have to push "
                "F towards zero. He et al. measured that trained residual branches do give "
                "smaller responses than the layers of plain networks (§4.2, Fig. 7)."
            ),
            "zh": (
                "残差块计算 **y = relu(F(x) + shortcut(x))**。F 即*残差分支*："
                "3×3 卷积 → 批归一化 → ReLU → 3×3 卷积 → 批归一化"
                "（ResNet-50 及更深网络的瓶颈块用 1×1-3×3-1×1 三个卷积）。"
                "*捷径*（shortcut）通常是恒等映射；只有在每个阶段的第一个块，"
                "分辨率减半、通道数加倍，捷径才是步长为 2 的 1×1 卷积加批归一化"
                "（*投影*，即 He 等人的选项 B；选项 A 是用零填充的恒等映射）。\n\n"
                "核心思想（He et al. 2016，§3.1）：不要求几层网络直接拟合目标映射 H(x)，"
                "而是让它们拟合*修正量* F(x) = H(x) − x。如果恒等映射已经接近正确，"
                "这些层只需把 F 推向零。He 等人测得，训练后残差分支的响应确实比普通网络"
                "各层的响应更小（§4.2，图 7）。"
            ),
        },
        essentials={
            "en": (
                "**y = relu(F(x) + x)**\n\n"
                "F learns a *correction* to its input, not a whole new signal (He et al. 2016)."
            ),
            "zh": (
                "**y = relu(F(x) + x)**\n\nF 学习的是对输入的*修正量*，而不是全新的信号"
                "（He et al. 2016）。"
            ),
        },
        sources=("he2016",),
    )
)

_add(
    Note(
        key="lesion_sweep",
        title={"en": "Lesion sweep: one block at a time", "zh": "逐块损伤：一次去掉一个块的一部分"},
        body={
            "en": (
                "For every block in turn we either **remove its residual branch** "
                "(y = relu(shortcut(x)): the block is bypassed) or **remove its skip** "
                "(y = relu(F(x))), and plot the probability of the class the intact network "
                "chose. ↓ marks downsampling blocks (projection shortcut); ✗ marks a lesion "
                "that changed the top-1 class.\n\n"
                "Veit et al. 2016 deleted single blocks from deep trained ResNets (e.g. 54 "
                "blocks, 110 layers, on CIFAR-10) at test time: the error barely changed, while "
                "deleting one layer of a plain network (VGG) destroyed it. A network with 8 "
                "blocks, like the embedded one, has far fewer paths, and each block does more "
                "of the work: expect larger effects. Downsampling blocks (↓) are special: "
                "their shortcut is a learned projection, not the identity.\n\n"
                "Which lesion hurts more depends on the sizes of the two paths: the block "
                "computes F(x) + x, so if F is a small correction to x, losing x (the skip) "
                "changes the output most; if F is as large as x or larger, losing F does. "
                "He et al. 2016 (§4.2, Fig. 7) found residual responses generally small in "
                "their CIFAR ResNets; the main tab shows ‖F(x)‖ / ‖shortcut(x)‖ for every "
                "block of this model. One image is an anecdote: the lesion curves panel "
                "measures a whole set."
            ),
            "zh": (
                "依次对每个块做两种损伤：**去掉残差分支**（y = relu(shortcut(x))：该块被绕过）"
                "或**去掉跳跃连接**（y = relu(F(x))），并画出完整网络所选类别的概率。"
                "↓ 表示下采样块（投影捷径）；✗ 表示该损伤改变了第一名类别。\n\n"
                "Veit 等人（2016）在测试时从训练好的深层 ResNet（例如 CIFAR-10 上 110 层、"
                "54 个块的网络）中删除单个块：误差几乎不变；而删除普通网络（VGG）的"
                "一层，网络就失效了。像内置模型这样只有 8 个块的网络，路径少得多，每个块"
                "承担的工作更多：预期影响更大。下采样块（↓）比较特殊：它们的捷径是学习到的"
                "投影，而不是恒等映射。\n\n"
                "哪种损伤影响更大，取决于两条路径的大小：块计算的是 F(x) + x。如果 F 只是对 x "
                "的小修正，失去 x（跳跃连接）对输出的改变最大；如果 F 与 x 一样大或更大，"
                "失去 F 的影响更大。He 等人（2016，§4.2，图 7）发现在他们的 CIFAR ResNet 中"
                "残差响应通常较小；主页面显示本模型每个块的 ‖F(x)‖ / ‖shortcut(x)‖。"
                "一张图只是个例：“损伤曲线”面板会在一整组图上测量。"
            ),
        },
        essentials={
            "en": (
                "Deep ResNets survive losing one block's branch (Veit et al. 2016).\n\n"
                "Small F next to x → cutting the skip hurts more; large F → bypassing the "
                "branch does."
            ),
            "zh": (
                "深层 ResNet 失去一个块的残差分支仍能正常工作（Veit et al. 2016）。\n\n"
                "F 比 x 小 → 切断跳跃连接影响更大；F 大 → 绕过分支影响更大。"
            ),
        },
        sources=("veit2016", "he2016"),
    )
)

_add(
    Note(
        key="lesion_curves",
        title={"en": "Lesion curves: many blocks at once", "zh": "损伤曲线：同时损伤多个块"},
        body={
            "en": (
                "Remove k blocks' residual branches at random (several random draws per k; the "
                "band is ± one standard deviation over draws) and score the network: accuracy "
                "on labelled shapes, or agreement with the intact network's top-1 on photos. "
                "Then do the same with k skips removed.\n\n"
                "**Branches removed**: Veit et al. 2016 found that the error of a deep trained "
                "ResNet rises *smoothly* as more blocks are deleted, as if the network were an "
                "ensemble of many paths of different lengths that do not depend strongly on "
                "each other. **Skips removed**: each removed skip forces every path through "
                "that block's branch; with all skips removed, the network is a plain network "
                "with the same weights, one it was never trained as.\n\n"
                "Compare the two curves at small k. Which falls faster tells you whether this "
                "model's branches act as small corrections to their inputs (then losing skips "
                "hurts more) or carry most of the signal themselves (then losing branches hurts "
                "more); He et al. 2016 (§4.2) found residual responses generally small, and "
                "smaller in deeper ResNets."
            ),
            "zh": (
                "随机去掉 k 个块的残差分支（每个 k 随机抽取若干次；阴影带为各次抽取的"
                "± 一个标准差），并给网络打分：带标签的形状图用准确率，照片用与完整网络"
                "第一名的一致率。然后对去掉 k 个跳跃连接做同样的实验。\n\n"
                "**去掉残差分支**：Veit 等人（2016）发现，随着删除的块增多，训练好的深层 "
                "ResNet 的误差*平滑地*上升，仿佛网络是由许多长度不同、彼此依赖不强的路径"
                "组成的集成。**去掉跳跃连接**：每去掉一个跳跃连接，所有路径都必须经过该块的"
                "分支；去掉全部跳跃连接后，网络就成了权重相同的普通网络——而它从未被当作"
                "普通网络训练过。\n\n"
                "比较两条曲线在 k 较小时的表现。哪条下降得更快，说明本模型的分支是对输入的"
                "小修正（那么失去跳跃连接影响更大），还是自身承载了大部分信号（那么失去分支"
                "影响更大）；He 等人（2016，§4.2）发现残差响应通常较小，且网络越深越小。"
            ),
        },
        essentials={
            "en": (
                "Deep ResNets: branches removed → smooth decline (Veit et al. 2016).\n\n"
                "All skips removed → a plain net it was never trained as."
            ),
            "zh": (
                "深层 ResNet：去掉残差分支 → 平滑下降（Veit et al. 2016）。\n\n"
                "去掉全部跳跃连接 → 变成从未训练过的普通网络。"
            ),
        },
        sources=("veit2016", "he2016"),
    )
)

_add(
    Note(
        key="gradient_flow",
        title={"en": "Gradient flow: why skips help", "zh": "梯度流：跳跃连接为什么有用"},
        body={
            "en": (
                "Two measurements on CIFAR-style networks (He et al. 2016, §4.2: 6n+2 layers, "
                "16/32/64 channels) and their plain twins (the same network, skips off).\n\n"
                "**Gradient norm at each block's input.** The popular story is that plain "
                "networks fail because gradients vanish. He et al. 2016 (§4.1) argue otherwise: "
                "their plain networks use BatchNorm, the backward gradients have *healthy "
                "norms*, and the degradation is an *optimisation difficulty*. Our measurements "
                "agree that nothing vanishes: in the deep plain nets the gradient reaching the "
                "first blocks is even *larger* than at the last ones (growth of gradients "
                "with depth in BatchNorm networks without skips at initialisation is analysed "
                "by Yang et al. 2019).\n\n"
                "**Shattered gradients.** Balduzzi et al. 2017 show that in plain networks the "
                "*correlation* between gradients at nearby inputs decays exponentially with "
                "depth, until gradients look like white noise, while with skip connections it "
                "decays far more slowly. We walk along a straight line from one image to "
                "another and compare the input gradients of the class logit at points 1, 2, … "
                "steps apart (cosine similarity). A gradient that no longer resembles its "
                "neighbour's tells the optimiser little about where to go. Li et al. 2018 "
                "show the matching picture of the loss surface: without skips, deep networks' "
                "loss landscapes become chaotic; with skips they stay smooth."
            ),
            "zh": (
                "在 CIFAR 风格的网络（He et al. 2016，§4.2：6n+2 层，16/32/64 个通道）及其"
                "普通孪生网络（同一网络、关闭跳跃连接）上做两项测量。\n\n"
                "**每个块输入处的梯度范数。** 流行的说法是普通网络训练失败是因为梯度消失。"
                "He 等人（2016，§4.1）的看法不同：他们的普通网络使用批归一化，反向传播的"
                "梯度范数*正常*，退化是一种*优化困难*。我们的测量同样显示梯度没有消失："
                "在深的普通网络中，到达前几个块的梯度甚至比最后几个块*更大*"
                "（无跳跃连接的批归一化网络在初始化时梯度随深度增长，见 Yang et al. 2019 "
                "的分析）。\n\n"
                "**破碎梯度。** Balduzzi 等人（2017）表明，在普通网络中，相邻输入处梯度的"
                "*相关性*随深度指数衰减，直到梯度看起来像白噪声；而有跳跃连接时衰减要慢得多。"
                "我们沿着从一张图到另一张图的直线前进，比较相隔 1、2、… 步的点上类别 logit "
                "对输入的梯度（余弦相似度）。与邻点梯度不再相似的梯度，几乎无法告诉优化器"
                "该往哪里走。Li 等人（2018）给出了损失曲面上对应的图景：没有跳跃连接，"
                "深层网络的损失曲面变得混乱；有跳跃连接则保持平滑。"
            ),
        },
        essentials={
            "en": (
                "Not vanishing: BatchNorm plain nets keep healthy gradient norms "
                "(He et al. 2016).\n\n"
                "Shattered: their gradients stop resembling their neighbours' "
                "(Balduzzi et al. 2017)."
            ),
            "zh": (
                "不是梯度消失：使用批归一化的普通网络梯度范数正常（He et al. 2016）。\n\n"
                "而是梯度破碎：梯度与邻点的梯度不再相似（Balduzzi et al. 2017）。"
            ),
        },
        sources=("he2016", "balduzzi2017", "li2018", "yang2019"),
    )
)

_add(
    Note(
        key="race",
        title={"en": "The degradation race", "zh": "退化赛跑"},
        body={
            "en": (
                "He et al. 2016 (Fig. 1) trained a 20-layer and a 56-layer plain network on "
                "CIFAR-10: the deeper one had the **higher training error**. It cannot be "
                "overfitting (that would lower training error) and it is not a lack of "
                "capacity (the deeper net could copy the shallower one and make its extra "
                "layers the identity). They call it the *degradation problem*, an "
                "optimisation difficulty; with skip connections it disappears.\n\n"
                "Here a plain network and a ResNet of the same depth start from the same "
                "weights and train on the same batches of synthetic shapes, a fixed training "
                "set, with the same optimiser (Adam, chosen so that a minute of CPU shows "
                "progress; He et al. used SGD for hours). The curves are training losses: "
                "lower means the optimiser found a better fit. Try depth 8 too — at small "
                "depth the two run level; the gap opens as depth grows."
            ),
            "zh": (
                "He 等人（2016，图 1）在 CIFAR-10 上训练了 20 层和 56 层的普通网络：更深的那个"
                "**训练误差反而更高**。这不是过拟合（过拟合会让训练误差更低），也不是容量"
                "不足（更深的网络可以复制浅网络，并把多出的层设为恒等映射）。他们称之为"
                "*退化问题*，是一种优化困难；加上跳跃连接，问题就消失了。\n\n"
                "这里，一个普通网络和一个同样深度的 ResNet 从相同的权重出发，在同一批批合成"
                "形状图（固定的训练集）上、用相同的优化器训练（Adam——为了在一分钟的 CPU "
                "时间内看到进展；He 等人用 SGD 训练了数小时）。曲线是训练损失：越低表示"
                "优化器找到的拟合越好。也试试深度 8：深度小时两者不相上下，深度越大差距越大。"
            ),
        },
        essentials={
            "en": (
                "Same depth, same start, same data.\n\n"
                "Deep plain net: higher *training* loss — an optimisation difficulty "
                "(He et al. 2016)."
            ),
            "zh": (
                "同样的深度、同样的起点、同样的数据。\n\n"
                "深的普通网络：*训练*损失更高——这是优化困难（He et al. 2016）。"
            ),
        },
        sources=("he2016",),
    )
)

_add(
    Note(
        key="gradcam",
        title={
            "en": "What Grad-CAM shows — and what it does not",
            "zh": "Grad-CAM 显示什么、不显示什么",
        },
        body={
            "en": (
                "Grad-CAM (Selvaraju et al. 2017) weights each channel of one layer's feature "
                "maps by the average gradient of the class score over that channel, sums them "
                "and keeps the positive part. It **shows** where, at that layer's resolution "
                "(7×7 for ImageNet ResNets at layer4 with 224-px input; 4×4 for the embedded "
                "model at 128 px), features that raise the chosen class's score are found; the "
                "map is then upsampled to the image.\n\n"
                "It does **not** show: pixel-precise outlines (the map is coarse); evidence "
                "*against* the class (the ReLU removes it); *why* those features matter or "
                "which concept they encode; and it does not prove the model would fail without "
                "that region. It explains one class at one layer: change either and the map "
                "changes."
            ),
            "zh": (
                "Grad-CAM（Selvaraju et al. 2017）用类别得分对某一层每个通道的平均梯度"
                "给该通道的特征图加权，求和后只保留正值部分。它**显示**在该层的分辨率下"
                "（ImageNet ResNet 的 layer4、224 像素输入时为 7×7；内置模型 128 像素输入时"
                "为 4×4），哪些位置的特征提高了所选类别的得分；然后把这张图放大到原图大小。"
                "\n\n它**不**显示：像素级精确的轮廓（这张图很粗糙）；*不利于*该类别的证据"
                "（被 ReLU 去掉了）；这些特征*为什么*重要、编码了什么概念；它也不能证明"
                "没有这块区域模型就会出错。它解释的是某一层上的某一个类别：换一个类别或"
                "换一层，图就会变。"
            ),
        },
        essentials={
            "en": (
                "Where features *for* one class sit, at one layer's coarse resolution.\n\n"
                "Not why, not evidence against, not pixel-exact (Selvaraju et al. 2017)."
            ),
            "zh": (
                "在某一层的粗糙分辨率下，支持某个类别的特征在哪里。\n\n"
                "不说明原因、不显示反面证据、不精确到像素（Selvaraju et al. 2017）。"
            ),
        },
        sources=("selvaraju2017",),
    )
)

_add(
    Note(
        key="misconceptions",
        title={"en": "Common misconceptions", "zh": "常见误解"},
        body={
            "en": (
                "- **“ResNet is built on depth-wise separable convolutions.”** No. ResNet uses "
                "ordinary convolutions (3×3, and 1×1 in bottleneck blocks) (He et al. 2016). "
                "Depth-wise separable convolutions are the building block of Xception "
                "(Chollet 2017) and MobileNets (Howard et al. 2017).\n"
                "- **“Pooling is what makes it residual.”** No. What makes a block residual is "
                "the *addition* of its input to its branch's output. A torchvision ResNet has "
                "one max-pool after the first convolution and one global average pool before "
                "the classifier; inside the stages, resolution is halved by stride-2 "
                "convolutions. (And pooling is done by the network itself, not by a data "
                "library such as Pandas.)\n"
                "- **“Skip connections work because they stop gradients vanishing.”** Too "
                "simple: He et al. 2016 found healthy gradient norms in their BatchNorm plain "
                "networks and call degradation an optimisation difficulty; skips keep "
                "gradients structured (Balduzzi et al. 2017) and the loss surface smooth "
                "(Li et al. 2018).\n"
                "- **“Every layer of a deep network is essential.”** Not in a deep trained "
                "ResNet: deleting a single residual branch barely changes its error "
                "(Veit et al. 2016).\n"
                "- **“Grad-CAM shows what the network is thinking.”** It shows where evidence "
                "for one class sits at one layer, coarsely (Selvaraju et al. 2017)."
            ),
            "zh": (
                "- **“ResNet 建立在深度可分离卷积之上。”** 不对。ResNet 使用普通卷积"
                "（3×3，瓶颈块中还有 1×1）（He et al. 2016）。深度可分离卷积是 Xception"
                "（Chollet 2017）和 MobileNets（Howard et al. 2017）的基本组件。\n"
                "- **“池化让网络成为残差网络。”** 不对。让一个块成为残差块的，是把它的输入"
                "*加*到分支的输出上。torchvision 的 ResNet 只在第一个卷积之后有一个最大池化、"
                "在分类器之前有一个全局平均池化；各阶段内部的分辨率减半靠步长为 2 的卷积。"
                "（池化是网络自己完成的，与 Pandas 这样的数据处理库无关。）\n"
                "- **“跳跃连接有效是因为它阻止了梯度消失。”** 过于简单：He 等人（2016）"
                "发现他们使用批归一化的普通网络梯度范数正常，并称退化为优化困难；跳跃连接"
                "让梯度保持结构（Balduzzi et al. 2017），让损失曲面保持平滑（Li et al. 2018）。\n"
                "- **“深层网络的每一层都不可或缺。”** 对训练好的深层 ResNet 不成立：删除单个"
                "残差分支，误差几乎不变（Veit et al. 2016）。\n"
                "- **“Grad-CAM 显示了网络在想什么。”** 它只是粗略地显示某一层上支持某个类别"
                "的证据在哪里（Selvaraju et al. 2017）。"
            ),
        },
        essentials={
            "en": (
                "ResNet: ordinary convolutions, not depth-wise separable.\n\n"
                "Residual = the *addition* of the input, not pooling."
            ),
            "zh": (
                "ResNet 用的是普通卷积，不是深度可分离卷积。\n\n残差 = 把输入*加*回来，不是池化。"
            ),
        },
        sources=(
            "he2016",
            "chollet2017",
            "howard2017",
            "balduzzi2017",
            "li2018",
            "veit2016",
            "selvaraju2017",
        ),
    )
)


def check_lang(lang: str) -> str:
    """Return `lang` if it is "en" or "zh", else raise ValueError."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGS)}")
    return lang


def note_markdown(key: str, lang: str = "en", presenter: bool = False) -> str:
    """The note of one panel as Markdown: heading, text and its sources.

    Args:
        key: one of `NOTES` ("block", "lesion_sweep", "lesion_curves", "gradient_flow",
            "race", "gradcam", "misconceptions").
        lang: "en" or "zh". Default: "en".
        presenter: the essentials only, for a projector. Default: False.

    Returns:
        Markdown text. The full note ends with the full citations; the presenter note names
        its sources briefly.

    Raises:
        ValueError: unknown key or language.
    """
    if key not in NOTES:
        raise ValueError(f"unknown note {key!r}; choose one of: {', '.join(NOTES)}")
    note = NOTES[key]
    check_lang(lang)
    if presenter:
        return f"### {note.title[lang]}\n\n{note.essentials[lang]}"
    heading = "Sources" if lang == "en" else "参考文献"
    sources = "\n".join(f"- {REFERENCES[s]}" for s in note.sources)
    return f"### {note.title[lang]}\n\n{note.body[lang]}\n\n**{heading}**\n\n{sources}"
