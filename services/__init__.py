"""Pantau services: each owns its database and meets the others only through events."""
