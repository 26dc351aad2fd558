"""Static rules over Go source: the engine and one module per rule in ``rules/``."""
