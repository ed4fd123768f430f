"""The command-flood throttle: one polite warning per cooldown, other people unaffected."""

from __future__ import annotations

from collections import Counter

from handlers.middleware import FLOOD_MAX_COMMANDS, FLOOD_WINDOW_S, UpdateGate

FLOODER, NEIGHBOUR = 100001, 100002


def test_a_flooder_is_warned_once_per_cooldown_while_a_neighbour_is_answered() -> None:
    gate = UpdateGate()
    flooder: list[tuple[float, str]] = []
    neighbour: list[str] = []
    for i in range(200):  # 100 commands in 10 s, then 100 more in the next 10 s
        now = 1000.0 + i * 0.1
        flooder.append((now, gate.throttle(FLOODER, now)))
        if i % 10 == 0:  # the neighbour in the same chat sends one a second
            neighbour.append(gate.throttle(NEIGHBOUR, now + 0.05))
    verdicts = Counter(v for _, v in flooder)
    assert verdicts["ok"] == FLOOD_MAX_COMMANDS
    warnings = [at for at, v in flooder if v == "warn"]
    assert len(warnings) == 2  # one per cooldown, never one per command
    assert warnings[1] - warnings[0] > FLOOD_WINDOW_S
    assert set(neighbour) == {"ok"}


def test_a_quiet_spell_lifts_the_throttle() -> None:
    gate = UpdateGate()
    for i in range(FLOOD_MAX_COMMANDS + 5):
        gate.throttle(FLOODER, 10.0 + i * 0.01)
    assert gate.throttle(FLOODER, 10.5) == "drop"
    assert gate.throttle(FLOODER, 10.5 + FLOOD_WINDOW_S + 1) == "ok"
