"""Workers: registration, verification, departures and returns (the worker aggregate)."""
