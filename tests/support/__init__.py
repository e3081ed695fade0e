"""Helpers shared by the tests: infrastructure resolution, proxies, waiting."""
