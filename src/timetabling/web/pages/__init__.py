"""Server-rendered pages for timetable officers, approvers, faculty and students (a little JavaScript, no build)."""
