"""The one composition root: settings in, a working ECS backend out. Pulumi-free and gRPC-free.

``config`` declares how provider settings are read (stack config or flags first, then each key's
environment variables, ``core/resource.py`` naming both) and validated; ``backend`` builds from those
settings the credentials provider, the one rate limiter and a client per region, and runs reboot rounds
and dry runs over them. The plugin (adapter/), the dynamic variant (dynamic.py) and the CLI (cli.py) all
get their ECS side here, so the three cannot drift apart.
"""
