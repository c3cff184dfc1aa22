"""Helpers several test modules share: the harness and the stories residents and deputies
act out. No test module imports another; they import from here."""
