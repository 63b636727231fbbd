"""RPSSL-specific agents: scripted strategies with varied template speech."""

from agents.rpssl.scripted import STRATEGIES, RPSSLScriptedParams, ScriptedRPSSLAgent, Strategy
from agents.rpssl.speech import say

__all__ = ["STRATEGIES", "RPSSLScriptedParams", "ScriptedRPSSLAgent", "Strategy", "say"]
