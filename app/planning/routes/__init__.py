"""Planning pages, one module per area: dashboard, projects, trainings, series, sessions."""
