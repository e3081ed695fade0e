"""The replica of the registry's worker facts that cases needs (fed from registry.worker.v1)."""
