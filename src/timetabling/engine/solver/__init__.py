"""The CP-SAT scheduler: ``solve(instance, options) -> SolveResult`` (``entry.py``); the model in ``cpmodel.py``,
CP-SAT alone in ``search.py``, every CP-SAT parameter in ``cpsat.py``."""

from timetabling.engine.solver.cpsat import default_threads
from timetabling.engine.solver.entry import solve
from timetabling.engine.solver.options import SolveOptions, SolveResult
from timetabling.engine.solver.search import INTEGRATED_ROOM_LIMIT

__all__ = ["INTEGRATED_ROOM_LIMIT", "SolveOptions", "SolveResult", "default_threads", "solve"]
