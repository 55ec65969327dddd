"""`python -m resnet_demo …`: see `resnet_demo.cli`."""

import sys

from resnet_demo.cli import main

sys.exit(main())
