"""Discord extensions: thin adapters between interactions and services."""
