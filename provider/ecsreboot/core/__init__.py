"""The domain: what the ECS API accepts, how it signs, what can go wrong. Standard library only."""
