"""Game registry: adding a game is one folder plus one line here.

Each entry gives the typed config model and the session class the arena drives; importing this
package also registers each game's PettingZoo env (``latent_arena/<name>-v0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from games.rpssl import RPSSLConfig, RPSSLSession
from games.werewolf import WerewolfConfig, WerewolfSession


@dataclass(frozen=True)
class GameSpec:
    name: str
    config: type[BaseModel]
    session: type[Any]  # a GameSession class: (config, seed, **kwargs)


GAMES: dict[str, GameSpec] = {
    "werewolf": GameSpec("werewolf", WerewolfConfig, WerewolfSession),
    "rpssl": GameSpec("rpssl", RPSSLConfig, RPSSLSession),
}

from games import registration  # noqa: E402, F401  (registers each game's PettingZoo env; needs GAMES above)
