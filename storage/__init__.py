"""Persistence: models, database wiring, migrations."""
