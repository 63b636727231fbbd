"""Agents: the Agent protocol and its kinds, built by name through :func:`agents.registry.make_agent`."""

from agents.base import Agent, RandomAgent
from agents.human import HumanAgent
from agents.registry import AGENT_KINDS, AgentKind, make_agent

__all__ = ["AGENT_KINDS", "Agent", "AgentKind", "HumanAgent", "RandomAgent", "make_agent"]
