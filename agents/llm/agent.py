"""A language-model agent for any registered game: prompt from the observation, JSON reply, one
retry that shows the model its error, then a documented and counted fallback.

Reply format (LSPO/SLA): ``{"reasoning": ..., "statement": ...}`` at a speaking turn and
``{"reasoning": ..., "action": ...}`` for a discrete move. The reasoning is private: the session logs
it where no other player can see it.

Fallbacks (counted in :meth:`LLMAgent.stats`, shown as the fallback rate in the leaderboard):
- discrete move, reply unusable twice: the legal move the model itself finds most likely
  (``backend.score``); if the backend cannot score, a uniformly random legal move from the agent's
  seeded Generator;
- speech, reply unusable twice: when the reply holds no JSON object at all, its own prose (with any
  "reasoning" field cut out, so private thoughts are never spoken); otherwise, or when nothing is
  left, a fixed neutral line.

Small models rarely open a JSON object on their own, so by default the reply is *prefilled* with the
object's first key (``{"reasoning": "``), which local backends continue; ``reason_first=False``
asks for the statement (or action) first, which a weak model completes more often before it runs
out of tokens. ``statement_opening`` goes further for a statement asked first: the prefill also opens the
statement itself (``{"statement": "I play``), so the model completes a sentence of the right kind
(RPSSL: the embedded 135M model states one move in 10 of 96 replies without it; README).

Where the reply format is said (``format_in``): ``system`` (default) states both formats once in the system
text, so a prompt ends with the observation and every prompt of a game opens with the same text, which a
backend's prefix cache reads once (the Werewolf observation lists the legal choices and closes with what only
the player knows; benchmarks/README.md, sixth round); ``prompt`` appends the one format that applies, with
the legal moves, after the observation.

``choice_mode="likelihood"`` skips generation for discrete moves altogether: the model's
log-likelihood of each legal answer decides, so there is nothing to parse and nothing to fall back on.

``identify`` asks a private question before each move of one phase (LSPO's "who is a wolf?" probe before
the vote) and answers it by likelihood among the legal moves: the answer rides in the move's
``meta["identify"]``, which the game logs for nobody, and it never changes the move itself.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from agents.llm.backend import BackendError, LLMBackend, Prompt, Sampling, prompt
from agents.llm.replies import ReplyError, clean_speech, extract_object, match_legal, read_field, without_field
from games.base import Action, Observation

NEUTRAL_LINE = "I have nothing to add right now."
# No player name here: the observation says who the player is ("You are player_3."), and a system text
# shared by every seat lets the backend's prefix cache share the rules that open every prompt.
SYSTEM = (
    "You are a player in a game of {game}. Play to win for your side. Never reveal private "
    "information unless it helps your side. Answer with one JSON object and nothing else."
)
REASONING_FIELD = '"reasoning": "<your private thoughts, hidden from the others>"'
STATEMENT_FIELD = '"statement": "<what you say to everyone, one or two sentences>"'
ACTION_FIELD = '"action": "<exactly one of: {legal}>"'
ANY_ACTION_FIELD = '"action": "<exactly one of the legal choices>"'
DIFFERENT = (
    "You already considered these statements:\n{previous}\nWrite a statement with a strategically different "
    "intent (not a rephrasing of any of them)."
)


@dataclass(frozen=True)
class IdentifyQuestion:
    """A private question answered by likelihood before every move of ``phase``, among that move's legal
    options except ``exclude`` (e.g. "Which player do you think is a werewolf?" before the vote)."""

    question: str
    phase: str
    exclude: tuple[str, ...] = ()


class FormatIn(StrEnum):
    SYSTEM = "system"  # both reply formats in the system text: prompts end with the observation
    PROMPT = "prompt"  # the format that applies, after the observation


class ChoiceMode(StrEnum):
    JSON = "json"  # the model writes {"action": ...}; parsed, validated, retried, then fallback
    LIKELIHOOD = "likelihood"  # the model's likelihood of each legal answer picks the move


class LLMAgent:
    """One seat's LLM player. Every call's seed comes from ``rng``, so a match replays exactly."""

    def __init__(
        self,
        name: str,
        backend: LLMBackend,
        rng: np.random.Generator,
        *,
        game: str = "Werewolf",
        choice_mode: ChoiceMode = ChoiceMode.LIKELIHOOD,
        speech_tokens: int = 96,
        action_tokens: int = 48,
        temperature: float = 0.7,
        max_statement_chars: int = 400,
        reason_first: bool = True,
        prefill: bool = True,
        statement_opening: str = "",
        format_in: FormatIn = FormatIn.SYSTEM,
        selfplay_candidates: int = 1,
        identify: IdentifyQuestion | None = None,
    ) -> None:
        if statement_opening and (reason_first or not prefill):
            raise ValueError("statement_opening needs the statement asked first and prefilled (reason_first=False)")
        self.name = name
        self.backend = backend
        self.rng = rng
        self.game = game
        self.choice_mode = ChoiceMode(choice_mode)
        self.speech_tokens = speech_tokens
        self.action_tokens = action_tokens
        self.temperature = temperature
        self.max_statement_chars = max_statement_chars
        self.reason_first = reason_first
        self.prefill = prefill
        self.statement_opening = statement_opening
        self.format_in = FormatIn(format_in)
        self.system = SYSTEM.format(game=game)
        if self.format_in is FormatIn.SYSTEM:
            self.system += (
                f" When you speak, reply with JSON: {self._format_object(STATEMENT_FIELD)}. When you choose a move, "
                f"reply with JSON: {self._format_object(ANY_ACTION_FIELD)}."
            )
        self.selfplay_candidates = selfplay_candidates
        self.identify = identify
        self.counts: Counter[str] = Counter()

    def stats(self) -> dict[str, int]:
        """Counters: decisions, parse failures on the first try, retries, fallbacks (by kind)."""
        return dict(self.counts)

    # ---- protocol ------------------------------------------------------------------------------
    async def act(self, obs: Observation) -> Action:
        if obs.legal is None:
            if self.selfplay_candidates > 1:
                return await self._speak_one_of_candidates(obs)
            return await self._speak(obs, previous=())
        if self.choice_mode is ChoiceMode.LIKELIHOOD and obs.legal:
            move = await self._choose_by_likelihood(obs)
        else:
            move = await self._choose_by_json(obs)
        if self.identify is not None and obs.phase == self.identify.phase:
            answer = await self._identify(obs, self.identify)
            if answer is not None:
                move = replace(move, meta={**move.meta, "identify": answer})
        return move

    async def _identify(self, obs: Observation, ask: IdentifyQuestion) -> dict[str, object] | None:
        """The option the model finds most likely as the answer to ``ask`` (scored, so never unparseable)."""
        options = [o for o in obs.legal or () if o not in ask.exclude]
        if not options:
            return None
        self.counts["identify_questions"] += 1
        field = '"answer": "<exactly one of: ' + ", ".join(options) + '>"'
        base = self._prompt(obs, f"{ask.question}\nReply with JSON: {{{field}}}")
        scores = await self.backend.score(base, [json.dumps({"answer": o}) for o in options])
        return {"answer": options[int(np.argmax(scores))], "options": options}

    async def propose(self, obs: Observation, n: int) -> list[Action]:
        """``n`` candidates; speech candidates are asked one at a time to differ strategically (LSPO)."""
        if obs.legal is not None:
            return [await self.act(obs) for _ in range(n)]
        candidates: list[Action] = []
        for _ in range(n):
            candidates.append(await self._speak(obs, previous=[c.text for c in candidates]))
        return candidates

    async def _speak_one_of_candidates(self, obs: Observation) -> Action:
        """LSPO self-play: write ``selfplay_candidates`` candidates, say one drawn uniformly, and record
        them all (with the prompt they answer) in the event's ``meta["lspo"]``, for the DPO step."""
        candidates = await self.propose(obs, self.selfplay_candidates)
        pick = int(self.rng.integers(len(candidates)))
        chosen = candidates[pick]
        record = {
            "prompt": self.speech_prompt_text(obs),
            "chosen": pick,
            "candidates": [{"text": c.text, "completion": c.meta.get("completion", c.text)} for c in candidates],
        }
        return Action(chosen.text, reasoning=chosen.reasoning, meta={**chosen.meta, "lspo": record})

    def speech_prompt_text(self, obs: Observation) -> str | None:
        """The rendered prompt (chat template and prefill) that a speaking turn's completion continues;
        ``None`` for a backend that does not render prompts itself (e.g. an HTTP server)."""
        render = getattr(self.backend, "chat_text", None)
        if render is None:
            return None
        return render(self._prompt(obs, self._instruction(STATEMENT_FIELD))) + self._opening("statement")

    # ---- prompts -------------------------------------------------------------------------------
    def _format_object(self, answer_field: str) -> str:
        fields = (REASONING_FIELD, answer_field) if self.reason_first else (answer_field, REASONING_FIELD)
        return "{" + ", ".join(fields) + "}"

    def _instruction(self, answer_field: str) -> str:
        """What follows the observation in the prompt: the reply format, unless the system text says it."""
        if self.format_in is FormatIn.SYSTEM:
            return ""
        return f"Reply with JSON: {self._format_object(answer_field)}"

    def _opening(self, answer_key: str) -> str:
        """The prefill that opens the reply's JSON object with its first key."""
        if not self.prefill:
            return ""
        if self.reason_first:
            return '{"reasoning": "'
        return '{"' + answer_key + '": "' + (self.statement_opening if answer_key == "statement" else "")

    def _prompt(self, obs: Observation, instruction: str) -> Prompt:
        return prompt(("system", self.system), ("user", f"{obs.text}\n\n{instruction}" if instruction else obs.text))

    def _sampling(self, tokens: int) -> Sampling:
        return Sampling(max_new_tokens=tokens, temperature=self.temperature, seed=int(self.rng.integers(2**31)))

    async def _ask(self, base: Prompt, read, tokens: int, opening: str) -> tuple[object, str, str]:
        """Generate, read; on a :class:`ReplyError` retry once with the error shown. Returns
        ``(value or None, reasoning, last raw reply)``."""
        reply = (await self.backend.generate(base, self._sampling(tokens), prefill=opening))[0]
        try:
            return *read(reply), reply
        except ReplyError as error:
            self.counts["parse_failures"] += 1
            self.counts["retries"] += 1
            retry = (
                *base,
                *prompt(("assistant", reply[:600]), ("user", f"That reply was invalid: {error}. Try again.")),
            )
            reply = (await self.backend.generate(retry, self._sampling(tokens), prefill=opening))[0]
            try:
                return *read(reply), reply
            except ReplyError:
                return None, "", reply

    # ---- speech --------------------------------------------------------------------------------
    async def _speak(self, obs: Observation, previous: Sequence[str]) -> Action:
        self.counts["decisions"] += 1
        self.counts["speech_decisions"] += 1
        instruction = self._instruction(STATEMENT_FIELD)
        if previous:
            listed = "\n".join(f"{i + 1}. {text}" for i, text in enumerate(previous))
            instruction = "\n".join(filter(None, [DIFFERENT.format(previous=listed), instruction]))

        def read(reply: str) -> tuple[str, str]:
            value, reasoning = read_field(reply, "statement")
            return clean_speech(value, self.max_statement_chars), reasoning

        base = self._prompt(obs, instruction)
        opening = self._opening("statement")
        statement, reasoning, raw = await self._ask(base, read, self.speech_tokens, opening)
        completion = {"completion": raw.removeprefix(opening)}  # what the model wrote (analysis, DPO)
        if statement is not None:
            return Action(str(statement), reasoning=reasoning, meta=completion)
        self.counts["fallbacks"] += 1
        self.counts["speech_fallbacks"] += 1
        fallback = self._speech_fallback(raw)
        return Action(fallback.text, reasoning=fallback.reasoning, meta={**fallback.meta, **completion})

    def _speech_fallback(self, raw: str) -> Action:
        """Prose only from a reply with no JSON object, and never its "reasoning" field."""
        try:
            extract_object(raw)
        except ReplyError:
            prose = without_field(raw, "reasoning").replace("{", " ").replace("}", " ")
            try:
                text = clean_speech(prose, self.max_statement_chars)
                return Action(text, reasoning="fallback: unparseable reply used as prose", meta={"fallback": "prose"})
            except ReplyError:
                pass
        return Action(NEUTRAL_LINE, reasoning="fallback: no usable statement", meta={"fallback": "neutral"})

    # ---- discrete moves ------------------------------------------------------------------------
    async def _choose_by_json(self, obs: Observation) -> Action:
        assert obs.legal is not None
        self.counts["decisions"] += 1
        self.counts["choice_decisions"] += 1
        legal, alive = obs.legal, obs.data.get("alive")

        def read(reply: str) -> tuple[str, str]:
            value, reasoning = read_field(reply, "action")
            return match_legal(value, legal, obs.player, alive), reasoning

        base = self._prompt(obs, self._instruction(ACTION_FIELD.format(legal=", ".join(legal))))
        choice, reasoning, _ = await self._ask(base, read, self.action_tokens, self._opening("action"))
        if choice is not None:
            return Action(str(choice), reasoning=reasoning)
        self.counts["fallbacks"] += 1
        self.counts["choice_fallbacks"] += 1
        try:
            scores = await self.backend.score(base, [self._answer(option) for option in legal])
            best = legal[int(np.argmax(scores))]
            return Action(best, reasoning="fallback: most likely legal move", meta={"fallback": "likelihood"})
        except (BackendError, NotImplementedError):
            pick = legal[int(self.rng.integers(len(legal)))]
            return Action(pick, reasoning="fallback: random legal move", meta={"fallback": "random"})

    async def _choose_by_likelihood(self, obs: Observation) -> Action:
        assert obs.legal is not None
        self.counts["decisions"] += 1
        self.counts["choice_decisions"] += 1
        base = self._prompt(obs, self._instruction(ACTION_FIELD.format(legal=", ".join(obs.legal))))
        scores = await self.backend.score(base, [self._answer(option) for option in obs.legal])
        best = int(np.argmax(scores))
        ranked = ", ".join(f"{o}={s:.1f}" for o, s in sorted(zip(obs.legal, scores, strict=True), key=lambda x: -x[1]))
        return Action(obs.legal[best], reasoning=f"log-likelihoods: {ranked}")

    @staticmethod
    def _answer(option: str) -> str:
        return json.dumps({"action": option})
