"""Start the ResNet Demo web app.

    python app.py [--model NAME] [--weights PATH] [--host H] [--port P] [--lang en|zh]
                  [--password CODE]

Binds 127.0.0.1 and starts on the embedded model unless told otherwise; `--help` lists every
option. The start-up time it prints counts from here, before torch and gradio are imported.
"""

import time

STARTED = time.perf_counter()

from resnet_demo.ui import main  # noqa: E402 - imported after the clock starts on purpose

if __name__ == "__main__":
    main(started=STARTED)
