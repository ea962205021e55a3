"""Tests of the generated Python SDK (sdk/python) and of its generator."""
