/* Replay viewer for the report's "replays" section: match list, view selector and event log,
   built from the JSON in #replays-data. Events read like games/werewolf/text.py.

   Every string from the data is written with textContent / text nodes, never parsed as HTML:
   statements and reasoning are untrusted model output.

   "As player_i" shows exactly the events whose visible_to is null (public) or names that player,
   and never their meta: what that player was shown during the game. "Omniscient" shows all events,
   with hidden ones and the ground-truth meta (strategy label, intent) marked. */
(function () {
  "use strict";
  const OMNI = "omniscient";
  const source = document.getElementById("replays-data");
  if (!source) return;
  const replays = JSON.parse(source.textContent).replays;
  const $ = (id) => document.getElementById(id);
  const ui = {
    list: $("replay-select"), filter: $("replay-filter"), view: $("view-select"), header: $("replay-header"),
    roster: $("replay-roster"), events: $("replay-events"), count: $("replay-count"), legend: $("hidden-legend"),
  };
  let current = null;

  /* Build an element; children are nodes or plain text (appended as text nodes, never as markup). */
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === "") continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // ---- match facts ------------------------------------------------------------------------------
  const byName = (a, b) => a.localeCompare(b, undefined, { numeric: true });

  function playersOf(r) {
    const setup = r.events.find((e) => e.kind === "setup");
    return setup && Array.isArray(setup.data.players) ? setup.data.players : Object.keys(r.seats).sort(byName);
  }

  function rolesOf(r) {
    if (r.outcome && r.outcome.roles) return r.outcome.roles;
    const roles = {};
    for (const e of r.events) if (e.kind === "role") roles[e.data.player] = e.data.role;
    return roles;
  }

  function winnerText(r) {
    if (r.status === "error") return "error";
    if (!r.outcome) return "unfinished";
    return r.outcome.winner === null ? "draw" : r.outcome.winner;
  }

  function agentsByTeam(r) {
    const teams = (r.outcome && r.outcome.teams) || {};
    const groups = new Map();
    const seats = Object.keys(r.seats).sort((a, b) => byName(teams[a] || "", teams[b] || "") || byName(a, b));
    for (const p of seats) {  // grouped by team in a fixed order, so rows line up
      const team = teams[p] || "seats";
      if (!groups.has(team)) groups.set(team, new Map());
      const counts = groups.get(team);
      counts.set(r.seats[p], (counts.get(r.seats[p]) || 0) + 1);
    }
    return [...groups].map(([team, counts]) =>
      [team, [...counts].map(([agent, n]) => (n > 1 ? `${agent}×${n}` : agent)).join(", ")]);
  }

  /* Public fates (killed at night, eliminated by vote) from announcements and vote results. */
  function fatesOf(r) {
    const fates = {};
    for (const e of r.events) {
      if (e.kind === "announcement" && e.data.killed) fates[e.data.killed] = `killed night ${e.data.day}`;
      if (e.kind === "vote_result" && e.data.eliminated) fates[e.data.eliminated] = `voted out day ${e.data.day}`;
    }
    return fates;
  }

  /* What `me` knows about roles from the events shown to them. */
  function knownRoles(r, me) {
    const known = {};
    for (const e of r.events) {
      if (!visible(e, me)) continue;
      const d = e.data;
      if (e.kind === "role") {
        known[d.player] = d.role;
        for (const mate of d.teammates || []) known[mate] = "werewolf";
      } else if (e.kind === "seer_check") {
        known[d.target] = d.is_werewolf ? "werewolf" : "not a werewolf";
      }
      const victim = e.kind === "announcement" ? d.killed : e.kind === "vote_result" ? d.eliminated : null;
      if (victim && d.revealed_role) known[victim] = d.revealed_role;
      else if (victim && d.revealed_team) known[victim] = `team ${d.revealed_team}`;
    }
    return known;
  }

  const visible = (e, me) => me === null || e.visible_to === null || e.visible_to.includes(me);

  // ---- event text (Werewolf; other kinds fall back to their raw data) -----------------------------
  const who = (p, me) => (p === me ? "you" : p);
  const Who = (p, me) => (p === me ? "You" : p);
  const soleViewer = (e) => (e.visible_to && e.visible_to.length === 1 ? e.visible_to[0] : null);
  const reveal = (d) =>
    d.revealed_role ? ` They were a ${d.revealed_role}.` : d.revealed_team ? ` They were on the ${d.revealed_team} team.` : "";

  const RENDER = {
    setup: (d, me) => {
      const counts = Object.entries(d.role_counts || {}).filter(([, c]) => c).map(([role, c]) => `${c} × ${role}`);
      return `Players: ${d.players.join(", ")}. Roles in this game: ${counts.join(", ")}.` + (me ? ` You are ${me}.` : "");
    },
    role: (d, me) => {
      let line = `${d.player === me ? "Your role" : `${d.player}'s role`}: ${d.role}.`;
      if (d.teammates && d.teammates.length) line += ` Fellow werewolves: ${d.teammates.map((p) => who(p, me)).join(", ")}.`;
      else if (d.role === "werewolf") line += " The only werewolf.";
      return line;
    },
    night: (d) => `Night ${d.day}`,
    day: (d) => `Day ${d.day}`,
    wolf_proposal: (d, me) => `${Who(d.by, me)} proposed killing ${who(d.target, me)}.`,
    wolf_kill: (d, me) => `The werewolves (${who(d.by, me)} deciding) chose to kill ${who(d.target, me)}.`,
    seer_check: (d, me, e) => {
      const by = soleViewer(e);
      const subject = by === me ? "Your check" : by ? `Seer ${by} checked` : "The Seer checked";
      return `${subject}: ${who(d.target, me)} ${d.is_werewolf ? "IS" : "is NOT"} a werewolf.`;
    },
    doctor_protect: (d, me, e) => {
      const by = soleViewer(e);
      return `${by === me ? "You" : by ? `Doctor ${by}` : "The Doctor"} protected ${who(d.target, me)}.`;
    },
    night_resolution: (d) =>
      `Night ${d.day} resolved: werewolves targeted ${d.wolf_target || "nobody"}, the Doctor protected ` +
      `${d.protected || "nobody"}${d.saved ? " (saved)" : ""}, the Seer checked ${d.seer_checked || "nobody"}.`,
    announcement: (d, me) =>
      d.killed === null
        ? `Morning of day ${d.day}: no one was killed last night.`
        : `Morning of day ${d.day}: ${d.killed === me ? "you were" : `${d.killed} was`} killed last night.${reveal(d)}`,
    statement: (d, me) => [h("span", { class: "speaker" }, Who(d.speaker, me)), " said: ", h("q", {}, d.text)],
    vote: (d, me) => `${Who(d.voter, me)} voted for ${d.target ? who(d.target, me) : "nobody (abstained)"}.`,
    vote_result: (d, me) => {
      const votes = Object.entries(d.votes).map(([v, t]) => `${v}→${t || "abstain"}`).join(", ");
      const out = d.eliminated
        ? `${d.eliminated === me ? "You were" : `${d.eliminated} was`} eliminated with ${d.tally[d.eliminated]} votes.${reveal(d)}`
        : "No one was eliminated.";
      return `Day ${d.day} vote: ${out} Votes: ${votes}.`;
    },
    reasoning: (d) => [h("b", {}, `${d.player} thought`), ` (${String(d.phase).replace(/_/g, " ")}): `, h("span", {}, d.text)],
    identify: (d) => `${d.player}, asked privately who is a werewolf, named ${d.answer} (of ${d.options.join(", ")}).`,
    game_over: (d) => (d.winner === null ? `The game ended in a draw (${d.reason}).` : `The ${d.winner} won (${d.reason}).`),
  };

  function eventBody(e, me) {
    const render = RENDER[e.kind];
    try {
      if (render) return render(e.data, me, e);
    } catch (err) {
      // A record from another game version: show its data rather than break the viewer.
    }
    return h("span", { class: "raw" }, `${e.kind}: ${JSON.stringify(e.data)}`);
  }

  function audience(e, roles) {
    if (e.visible_to === null) return null;
    if (e.visible_to.length === 0) return "hidden from everyone";
    if (e.visible_to.length > 1 && e.visible_to.every((p) => roles[p] === "werewolf")) return "werewolves only";
    return `only ${e.visible_to.join(", ")}`;
  }

  function metaChips(meta) {
    const entries = Object.entries(meta || {});
    if (!entries.length) return null;
    return h("span", { class: "chips", "data-testid": "meta" },
      entries.map(([k, v]) => h("span", { class: "chip", title: "ground truth, not shown to players" },
        h("b", {}, `${k}: `), typeof v === "string" ? v : JSON.stringify(v))));
  }

  function eventItem(e, seq, me, roles) {
    const hiddenFrom = me === null ? audience(e, roles) : null;
    const sep = e.kind === "night" || e.kind === "day";
    const classes = ["ev", `ev-${e.kind}`, sep ? `sep ${e.kind}` : "", hiddenFrom ? "hidden" : ""].filter(Boolean);
    return h("li", {
      class: classes.join(" "), "data-kind": e.kind, "data-seq": seq, "data-testid": "event",
      "data-hidden": hiddenFrom ? "true" : null,
    },
    h("span", { class: "seq" }, seq),
    h("span", { class: "body" }, eventBody(e, me), me === null ? metaChips(e.meta) : null),
    hiddenFrom ? h("span", { class: "aud", title: "hidden information" }, hiddenFrom) : null);
  }

  // ---- views ------------------------------------------------------------------------------------
  function renderList() {
    const query = ui.filter.value.trim().toLowerCase();
    const rows = replays.map((r, i) => {
      const winner = winnerText(r);
      const agents = agentsByTeam(r);
      const haystack = `#${r.index} ${winner} ${agents.flat().join(" ")} ${r.match_id} seed ${r.seed}`.toLowerCase();
      if (query && !haystack.includes(query)) return null;
      const length = r.outcome ? `${r.outcome.length} day${r.outcome.length === 1 ? "" : "s"}` : "";
      return h("button", {
        type: "button", class: "replay-row", role: "option", "data-testid": "replay-row", "data-index": i,
        "data-match-id": r.match_id, "aria-selected": current === i ? "true" : "false",
      },
      h("span", { class: "row1" },
        h("span", { class: "idx" }, `#${r.index}`),
        h("span", { class: `badge ${r.status === "error" ? "error" : `team-${winner}`}` }, ["draw", "error", "unfinished"].includes(winner) ? winner : `${winner} won`),
        h("span", { class: "len" }, length)),
      agents.map(([team, names]) => h("span", { class: "agents", title: `${team}: ${names}` }, h("b", {}, `${team}: `), names)));
    }).filter(Boolean);
    ui.list.replaceChildren(...(rows.length ? rows : [h("div", { class: "empty-state" }, "No match fits the filter.")]));
  }

  function renderViewOptions(r) {
    const previous = ui.view.value || OMNI;
    const players = playersOf(r);
    ui.view.replaceChildren(
      h("option", { value: OMNI }, "Omniscient: every event, hidden info marked"),
      ...players.map((p) => h("option", { value: p }, `As ${p}${r.seats[p] ? ` (${r.seats[p]})` : ""}`)));
    ui.view.value = players.includes(previous) ? previous : OMNI;
  }

  function renderHeader(r) {
    const o = r.outcome;
    const result = r.status === "error" ? "Ended with an error" : !o ? "No outcome recorded"
      : o.winner === null ? `Draw (${o.reason}) after ${o.length} days` : `The ${o.winner} won (${o.reason}) after ${o.length} days`;
    const parts = [
      h("h3", {}, `Match #${r.index} · seed ${r.seed}`),
      h("div", {}, result, " ", h("span", { class: "muted" }, `· id ${r.match_id}`)),
    ];
    if (r.error) parts.push(h("div", { class: "error-box" }, r.error));
    ui.header.replaceChildren(...parts);
  }

  function renderRoster(r, me) {
    const roles = rolesOf(r);
    const known = me === null ? roles : knownRoles(r, me);
    const fates = fatesOf(r);
    const scores = (r.outcome && r.outcome.scores) || {};
    const showResult = me === null && Boolean(r.outcome);  // results are omniscient and need an outcome
    const resultText = (s) => (s > 0 ? "won" : s < 0 ? "lost" : "draw");
    const rows = playersOf(r).map((p) => h("tr", { class: [p === me ? "me" : "", fates[p] ? "dead" : ""].join(" ").trim() || null },
      h("th", { scope: "row" }, p === me ? `${p} (you)` : p),
      h("td", {}, r.seats[p] || "—"),
      h("td", { class: known[p] ? `role-${known[p].replace(/\W+/g, "-")}` : "unknown" }, known[p] || "?"),
      h("td", {}, fates[p] || (r.outcome ? "survived" : "")),
      showResult ? h("td", {}, p in scores ? resultText(scores[p]) : "") : null));
    const head = h("tr", {}, ["Seat", "Agent", me === null ? "Role" : "Role (as known)", "Fate", showResult ? "Result" : null]
      .filter(Boolean).map((t) => h("th", {}, t)));
    ui.roster.replaceChildren(h("thead", {}, head), h("tbody", {}, rows));
  }

  function renderEvents(r, me) {
    const roles = rolesOf(r);
    const items = [];
    r.events.forEach((e, seq) => {
      if (visible(e, me)) items.push(eventItem(e, seq, me, roles));
    });
    const hidden = r.events.filter((e) => e.visible_to !== null).length;
    ui.count.textContent = me === null
      ? `${r.events.length} events, ${hidden} of them not public`
      : `${items.length} of ${r.events.length} events were shown to ${me}`;
    ui.events.replaceChildren(...(items.length ? items : [h("li", { class: "empty-state" }, "No events recorded.")]));
  }

  function show() {
    const r = replays[current];
    const me = ui.view.value === OMNI ? null : ui.view.value;
    renderRoster(r, me);
    renderEvents(r, me);
    ui.legend.hidden = me !== null;  // a player's view holds nothing hidden from that player
  }

  function select(i) {
    current = i;
    const r = replays[i];
    for (const row of ui.list.querySelectorAll(".replay-row")) {
      row.setAttribute("aria-selected", String(Number(row.dataset.index) === i));
    }
    renderHeader(r);
    renderViewOptions(r);
    show();
  }

  if (!replays.length) {
    ui.list.replaceChildren(h("div", { class: "empty-state" }, "No replays in this run."));
    ui.view.disabled = true;
    ui.filter.disabled = true;
    return;
  }
  ui.list.addEventListener("click", (ev) => {
    const row = ev.target.closest(".replay-row");
    if (row) select(Number(row.dataset.index));
  });
  ui.filter.addEventListener("input", renderList);
  ui.view.addEventListener("change", show);
  renderList();
  select(0);
})();
