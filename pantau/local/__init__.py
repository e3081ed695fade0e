"""Local, Docker-free infrastructure: a Tansu broker and throw-away PostgreSQL clusters."""
