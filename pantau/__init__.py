"""The `pantau` command line and local (Docker-free) infrastructure."""
