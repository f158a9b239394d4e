"""The Web API methods, one module per family; importing this package registers them all."""

from __future__ import annotations

from . import chat, conversations, files, people, responses, views

__all__ = ["chat", "conversations", "files", "people", "responses", "views"]
