"""Pantau's shared contract (envelope, event models, topics) and plumbing; no domain logic."""
