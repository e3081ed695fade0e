"""One module per kind of subject the figures count; ``projections/catalog.py`` lists them."""
