"""Services delivered to workers and their families before departure and after return."""
