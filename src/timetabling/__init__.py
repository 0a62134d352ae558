"""University timetable generation."""

__version__ = "0.1.0"
