"""Liaison Station Bot: the online front door of people's congress liaison stations (代表联络站)."""
