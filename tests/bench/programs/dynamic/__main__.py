"""`count` pulumi.dynamic resources with a trivial provider: the baseline of an unchanged preview."""

import pulumi
from pulumi.dynamic import Resource
from trivial import Trivial


class Thing(Resource):
    def __init__(self, name, config_hash):
        super().__init__(Trivial(), name, {"configHash": config_hash})


for n in range(pulumi.Config().require_int("count")):
    Thing(f"t{n}", f"h{n}")
