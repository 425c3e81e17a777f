"""Loaded with -p before Django starts: tests run the development settings (no SECRET_KEY)."""

import os

os.environ.setdefault("DJANGO_DEVELOPMENT", "1")
