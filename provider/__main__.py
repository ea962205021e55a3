"""Lets `pulumi package add ./provider` (PulumiPlugin.yaml, runtime: python) run the plugin from source."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ecsreboot.adapter.server import main

sys.exit(main())
