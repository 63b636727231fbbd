"""Registers every game in :data:`games.GAMES` with PettingZoo's registry as ``latent_arena/<name>-v0``.

After ``import games``, ``pettingzoo.make("aec", "latent_arena/werewolf-v0", n_players=4)`` builds an env.
The convention (PettingZoo's own): ``games/<name>/env.py`` defines ``env``, the AEC entry point, whose
keyword arguments are the game's options. The version suffix is bumped when an env's behaviour changes.
"""

from __future__ import annotations

import importlib

import pettingzoo

from games import GAMES

NAMESPACE = "latent_arena"
VERSION = 0

ENV_IDS: dict[str, str] = {name: f"{NAMESPACE}/{name}-v{VERSION}" for name in GAMES}
"""Game name -> PettingZoo env id."""

for _name, _env_id in ENV_IDS.items():
    pettingzoo.register("aec", _env_id, entry_point=importlib.import_module(f"games.{_name}.env").env)
