"""The trivial dynamic provider of the baseline, in a module of its own and pickled by reference.

pulumi.dynamic (3.272) pickles a provider defined in ``__main__`` by value through a patched dill whose
wrapper chain grows with every resource: past about 300 resources a RecursionError fails the step. A
provider pickled by reference (as ``ecsreboot.dynamic`` does) avoids that — and is also the cheapest
form for pulumi.dynamic, so the baseline is its best case.
"""

import uuid

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider


class Trivial(ResourceProvider):
    def __reduce__(self):
        return (Trivial, ())

    def create(self, props):
        return CreateResult(id_=uuid.uuid4().hex, outs=props)

    def diff(self, _id, olds, news):
        return DiffResult(changes=olds.get("configHash") != news.get("configHash"))
