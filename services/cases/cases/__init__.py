"""The case aggregate and the rules it keeps (workflow, levels, deadlines, assignment)."""
