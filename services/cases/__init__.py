"""The cases service (port 8002): complaints and gender-responsive case management (README.md).

The domain core is plain Python: ``cases`` (the case aggregate, its workflow, levels, deadlines,
assignment and referral), ``reports`` (reports by workers and families, and their triage) and
``access`` (who sees what of a case, break-the-glass access, audit records). Around it: the HTTP
routes, service layer and repositories of each folder, ``case_workers`` (the directory),
``workers`` (the replica of the registry's worker facts) and ``app.py``.
"""
