"""Placement agencies (P3MI): licence, suspension, revocation."""
