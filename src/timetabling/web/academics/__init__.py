"""Academic data of one organization (the tenant): schools to students, and the weekly time grid."""
