"""What changes state for participants, one module per concern: creating, enrolling, codes,
editing, unenrolling, merging. Nothing here commits: the request does."""
