"""One timetable as the algorithms move it: ``placed`` (start and room per session), ``domains`` (where each
course may go), ``board`` (sessions as arrays with occupancy counts, for fast moves)."""
