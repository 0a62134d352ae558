"""The public JSON API: thin views over the scheduling and academics services."""
