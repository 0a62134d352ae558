"""An honest time-left estimate for the progress events of one run.

Measured, not guessed: the rate at which the percent moves in the current stage (exponentially smoothed over
the stage's reports), capped by the time the run may still take (its time limit). Then the estimate itself
is smoothed and may move only a little between two reports beyond the time that passed, so that a reader
sees a steadily falling number instead of 4 s, 25, 39, 56, 47, 0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EtaEstimator:
    alpha: float = 0.3  # weight of a new measurement in both smoothings
    step: float = 0.15  # the most the estimate may move between two reports, as a share of the last one...
    floor_s: float = 2.0  # ...or this many seconds, whichever is more
    _stage: str = ""
    _stage_t: float = 0.0
    _stage_pct: float = 0.0
    _rate: float | None = None  # percent per second in the current stage, smoothed
    _eta: float | None = None
    _t: float = 0.0

    def update(self, stage: str, elapsed: float, pct: float, budget_left: float) -> float | None:
        """The time left (s) after a report at ``elapsed`` seconds and ``pct`` percent; ``budget_left``: the
        seconds the run may still take. None until there is something measured."""
        if pct >= 100.0:
            self._eta = 0.0
            return 0.0
        if stage != self._stage:  # a new stage has its own pace: measure it afresh
            self._stage, self._stage_t, self._stage_pct = stage, elapsed, pct
        else:
            dt, dp = elapsed - self._stage_t, pct - self._stage_pct
            if dt > 0.05 and dp > 0:
                measured = dp / dt
                self._rate = measured if self._rate is None else self._rate + self.alpha * (measured - self._rate)
        raw = None
        if self._rate:
            raw = (100.0 - pct) / self._rate
        elif pct > 0 and elapsed > 0:
            raw = elapsed * (100.0 - pct) / pct  # no stage rate yet: the run's average pace
        if raw is None:
            return self._eta
        raw = min(raw, max(0.0, budget_left))
        if self._eta is None:
            self._eta, self._t = raw, elapsed
            return raw
        expected = max(0.0, self._eta - (elapsed - self._t))  # what the last estimate says now
        wanted = expected + self.alpha * (raw - expected)
        limit = max(self.floor_s, self.step * expected)
        self._eta = max(0.0, min(expected + limit, max(expected - limit, wanted)))
        self._t = elapsed
        return self._eta
