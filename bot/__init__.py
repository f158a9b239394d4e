"""A Discord bot that runs a programme of online workshop sessions."""

__version__ = "0.1.0"
