"""Fees charged to workers and the zero-cost rule that judges them."""
