"""Make the fake_slack fixture available to the fake's own tests."""

from tests.fakeslack.pytest_plugin import fake_slack

__all__ = ["fake_slack"]
