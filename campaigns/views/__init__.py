"""The campaigns app's pages, one module per feature."""
