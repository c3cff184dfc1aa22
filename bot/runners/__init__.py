"""Runners: one small module per way of running the bot (polling now)."""
