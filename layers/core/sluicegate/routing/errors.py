"""Errors of the routing configuration."""

from __future__ import annotations


class RoutingConfigError(ValueError):
    """The routing YAML is missing, unreadable or invalid; the message names the YAML path of each problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid routing config {source}:\n{listed}")
