"""Local search on a complete timetable: the annealing (``anneal``), the default optimiser, and the genetic
optimiser (``genetic``) of the pipeline's variants. Both count the soft rules of the catalogue
(``engine/rules.py``) and keep every hard one.

The package imports neither: the annealing loads numba (slow to import), which whatever imports only the
genetic optimiser (``pipeline.options``, hence ``generate --first``) need not pay for. Import from
``improve.anneal`` and ``improve.genetic``."""
