"""Curriculum-based course timetabling in the extended format (ECTT): formulations UD1-UD5, the
scorer, the mapping onto the native model and the bench runner."""

from __future__ import annotations

from timetabling.engine.ectt.formulations import FORMULATIONS, Formulation, formulation
from timetabling.engine.ectt.mapping import to_instance
from timetabling.engine.ectt.score import EcttScore, score

__all__ = ["FORMULATIONS", "EcttScore", "Formulation", "formulation", "score", "to_instance"]
