"""Users and their role in one organization."""
