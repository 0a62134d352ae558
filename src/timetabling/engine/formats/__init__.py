"""File formats: the native JSON instance and solution files, and ITC-2007 files."""
