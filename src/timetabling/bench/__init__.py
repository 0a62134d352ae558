"""All benchmark code, in one place; the data sets live in ``benchmarks/`` at the project root.

- ``itc`` and ``ectt``: ITC-2007 track 3 and its ECTT formulations, behind ``timetable bench-itc`` and
  ``timetable bench-ectt``;
- ``pipeline_ablation``: the generation pipeline with parts of it switched off (``python -m
  timetabling.bench.pipeline_ablation``);
- ``celery_workers``, ``web_scale``, ``load``: the distributed runner, the web product at reference scale and
  readers under load, each against a deployment it starts itself (``python -m timetabling.bench.<name>``).

Benchmarks print measured numbers and assert nothing; the figures go to docs/benchmarks.md with date and machine.
"""
