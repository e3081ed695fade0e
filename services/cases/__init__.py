"""The cases service: complaints and gender-responsive case management (see README.md).

So far its domain core only, plain Python without HTTP, database or broker:
``cases`` (the case aggregate, its workflow, levels, deadlines, assignment and referral),
``reports`` (reports by workers and families, and their triage) and ``access`` (who sees what
of a case, break-the-glass access, audit records).
"""
