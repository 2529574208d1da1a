"""troupe's examples, installed as ``troupe.examples`` (``troupe demo`` runs one).

Each is a script to read and to run: ``python examples/NAME.py``.
"""
