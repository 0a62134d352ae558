"""ITC-2007 track 3 benchmark: best known costs and the bench runner."""

from __future__ import annotations

from timetabling.engine.itc.bench import BestKnown, best_known, run_itc_bench

__all__ = ["BestKnown", "best_known", "run_itc_bench"]
