"""Make the fake_discord fixture available to the fake's own tests."""

from tests.fakediscord.pytest_plugin import fake_discord, strict_archived_threads

__all__ = ["fake_discord", "strict_archived_threads"]
