"""Reports by workers and families (no account): submission, receipts and triage."""
