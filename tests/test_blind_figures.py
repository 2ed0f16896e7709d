"""The blind set's figures, pinned a little below what was measured (README), so that a
change cannot lower what residents get without someone noticing. Raise a floor when the
figure rises; never lower one to let a change through."""

import pytest

from bench.conversations import Bot, measure

# measured 2026-12-02 (README "Measured"): floor = measured minus about 1.5 points
FLOORS = {
    "right first reply": 0.765,
    "decline recall": 0.84,
    "alarm recall": 0.94,
    "emergencies": 0.945,
    "small talk": 0.80,
    "follow-ups": 0.55,
}
CEILINGS = {"choices": 0.065, "false alarms": 0.025}


@pytest.fixture(scope="module")
def figures(real_services):
    return measure(Bot(services=real_services))


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_blind_figure_holds_its_floor(figures, name):
    assert figures[name].value >= FLOORS[name], (name, figures[name].value)


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_blind_figure_stays_under_its_ceiling(figures, name):
    assert figures[name].value <= CEILINGS[name], (name, figures[name].value)
