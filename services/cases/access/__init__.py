"""Confidentiality of cases: jurisdiction, who sees the file, break the glass, audit records."""
