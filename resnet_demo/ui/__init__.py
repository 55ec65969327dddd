"""The Gradio app: page layout, event handlers, translations and server settings.

- `build_demo(default_model=None, lang="en") -> gr.Blocks`: the page, not launched.
- `build_page(...) -> (demo, page, handlers)`: the same, with its components and handlers.
- `configure_queue(demo)`: the bounded queue (call before launching).
- `launch_kwargs(args) -> dict`: safe `demo.launch(...)` settings from `parse_args(...)`.
- `serve(model, args=None) -> gr.Blocks`: build, queue and launch without blocking.
- `main(argv=None)`: what `python app.py` runs.

Only this package imports gradio (docs/design.md §3); handlers call `analysis` for numbers and
`render` for pictures and compute nothing themselves.
"""

from resnet_demo.ui.layout import build_demo, build_page
from resnet_demo.ui.server import configure_queue, launch_kwargs, main, parse_args, serve

__all__ = [
    "build_demo",
    "build_page",
    "configure_queue",
    "launch_kwargs",
    "main",
    "parse_args",
    "serve",
]
