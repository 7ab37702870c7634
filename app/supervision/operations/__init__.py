"""What changes state in the supervision area, one module per concern: supervisors,
self-reported hours, the reminders to supervisors, documents for an absence."""
