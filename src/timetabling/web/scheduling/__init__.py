"""Generation jobs, the timetables they produce (one per variant), and their approval."""
