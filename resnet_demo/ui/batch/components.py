"""The components of the "A batch of images" panel, by name (built by `layout`, written by
`handlers`)."""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from resnet_demo.ui.inputs import UntrustedFiles


class BatchView(NamedTuple):
    """Every component of the panel.

    Attributes:
        files: the uploaded image files.
        run_files: classifies them.
        n_shapes: how many fresh shapes (1..64).
        run_shapes: generates that many and classifies them.
        stop: cancels the running batch.
        summary: n images, n flipped, mean drop; switches, seeds, skipped files.
        gallery: every image, sorted by what the switches do, captioned intact → switched.
        tables_note: which network the confusion table counts (shapes only).
        accuracy: per-class accuracy, intact vs switched (shapes only).
        confusion: true × predicted counts (shapes only).
        wrong: the images the switched network got wrong, true vs predicted (shapes only).
        csv: the rows as the CLI's summary.csv.
    """

    files: UntrustedFiles
    run_files: gr.Button
    n_shapes: gr.Slider
    run_shapes: gr.Button
    stop: gr.Button
    summary: gr.Markdown
    gallery: gr.Gallery
    tables_note: gr.Markdown
    accuracy: gr.Dataframe
    confusion: gr.Dataframe
    wrong: gr.Gallery
    csv: gr.DownloadButton

    def outputs(self) -> list[gr.components.Component]:
        """What a batch writes: everything but the inputs and buttons."""
        return [
            self.summary,
            self.gallery,
            self.tables_note,
            self.accuracy,
            self.confusion,
            self.wrong,
            self.csv,
        ]
