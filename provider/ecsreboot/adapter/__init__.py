"""The Pulumi adapter: the only place that knows about gRPC and the pulumi package."""
