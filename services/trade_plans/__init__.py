"""Following a signal to its end: trade plans (see service.py for the entry point)."""
