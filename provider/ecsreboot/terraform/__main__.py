"""``python -m ecsreboot.terraform``: the provider, as ``terraform-provider-ecsreboot`` runs it."""

import sys

from .server import main

sys.exit(main())
