"""Deliberation: members vote on each other's statements; the analysis maps opinion groups, Pol.is's way. Pure."""

from bot.domain.deliberation._statements import Consensus, Divisive, Representative
from bot.domain.deliberation.analysis import Analysis, Group, PreviousRun, analyse
from bot.domain.deliberation.matrix import StatementCounts, Vote, VoteCast, VoteMatrix

__all__ = [
    "Analysis",
    "Consensus",
    "Divisive",
    "Group",
    "PreviousRun",
    "Representative",
    "StatementCounts",
    "Vote",
    "VoteCast",
    "VoteMatrix",
    "analyse",
]
