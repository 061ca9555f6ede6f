"""Static site generator for the catalogue of micro-credentials."""

__version__ = "0.1.0"
