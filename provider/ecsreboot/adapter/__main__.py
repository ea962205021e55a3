"""``python -m ecsreboot.adapter``: the plugin, for installs without the source tree's provider/ folder."""

import sys

from .server import main

sys.exit(main())
