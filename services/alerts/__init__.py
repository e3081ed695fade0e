"""The alerts service: rules over the registry's and the cases' streams, and their lifecycle.

The rules core (this package, no I/O): :mod:`services.alerts.engine` applies contract events
to the facts the rules need (:mod:`services.alerts.facts`), runs the rules
(:mod:`services.alerts.rules`) and the clock (:mod:`services.alerts.agenda`), and returns the
alert events to publish (:mod:`services.alerts.lifecycle`). See README.md.
"""
