"""The living timetable: minimal-change repair, locks, the change report and the candidate query.

    result = repair(instance, previous, locks, RepairOptions(time_limit=10))
    result.solution, result.changes.summary(), result.explanation
    diff(instance, a, b).to_dict(instance)
    CandidateIndex(instance, solution).query("C1", 0)
"""

from timetabling.engine.repair.changes import Changes, SessionChange, diff
from timetabling.engine.repair.locks import Lock, LockFile, broken_locks, check_locks, load_locks, lock_conflicts, pin
from timetabling.engine.repair.minimal import RepairOptions, RepairResult, keep_locks, lock_core, repair

__all__ = [
    "Changes", "Lock", "LockFile", "RepairOptions", "RepairResult", "SessionChange", "broken_locks", "check_locks",
    "diff", "keep_locks", "load_locks", "lock_conflicts", "lock_core", "pin", "repair",
]
