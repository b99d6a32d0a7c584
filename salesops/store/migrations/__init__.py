"""Alembic revisions of the store's schema (README.md, "Changing the schema")."""
