"""Portal pages, one module per area: signing in, the participant's pages, absences, e-learning
hours and the supervisor's list."""
