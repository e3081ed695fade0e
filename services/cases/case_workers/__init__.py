"""The case workers' directory: who may be assigned cases, their sex and their area."""
