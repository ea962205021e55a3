"""`count` pulumi.dynamic resources with a trivial provider: the baseline of an unchanged preview."""

import uuid

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider


class Trivial(ResourceProvider):
    def create(self, props):
        return CreateResult(id_=uuid.uuid4().hex, outs=props)

    def diff(self, _id, olds, news):
        return DiffResult(changes=olds.get("configHash") != news.get("configHash"))


class Thing(Resource):
    def __init__(self, name, config_hash):
        super().__init__(Trivial(), name, {"configHash": config_hash})


for n in range(pulumi.Config().require_int("count")):
    Thing(f"t{n}", f"h{n}")
