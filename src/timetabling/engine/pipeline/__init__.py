"""Generation of several timetable variants: ``generate(instance, options) -> PipelineResult``.

This is the interface the engine service and the CLI use. Inside, the three stages of the design:

1. ``clustering``: the course conflict graph, course categories, Louvain parts (open electives first);
2. ``stage2``: the parts solved by CP-SAT (hard rules only), wave after wave (``waves``), the parts of a wave side
   by side in a process pool (``pool``) or on other machines (``part_jobs``); then, per variant, the annealing,
   the genetic optimiser or CP-SAT improves the variant's weighted soft score from that common timetable;
3. ``resolve``: the checker's view of what is left: min-conflicts (or the learned ``qlearn`` policy), then
   CP-SAT on the neighbourhood, else the sessions that could not be placed are named with the reason.

Every variant is scored by the independent checker under its own weights (``profiles``).

``run.py`` keeps the steps apart (``start``: stage 1; ``stage2``; ``finish``: stage 3 and the variants) so that a
distributed runner can solve the parts on other machines with the same code (``plan`` and ``resume``).
"""

from timetabling.engine.pipeline.options import PipelineOptions, PipelineResult, Variant, score_of, variant_rules
from timetabling.engine.pipeline.profiles import DEFAULT_VARIANTS, VARIANT_PROFILES, load_profiles
from timetabling.engine.pipeline.run import generate

__all__ = ["DEFAULT_VARIANTS", "VARIANT_PROFILES", "PipelineOptions", "PipelineResult", "Variant", "generate",
           "load_profiles", "score_of", "variant_rules"]
