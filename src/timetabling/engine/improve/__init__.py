"""Local search on a complete timetable: the annealing (``anneal``), the default optimiser, and the genetic
optimiser (``genetic``) of the pipeline's variants. Both count the soft rules of the catalogue
(``engine/rules.py``) and keep every hard one."""

from timetabling.engine.improve.anneal import AnnealConfig, anneal, compiled_ready

__all__ = ["AnnealConfig", "anneal", "compiled_ready"]
