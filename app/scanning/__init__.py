"""Check-in and check-out: one service shared by the API, the web roll call and the CLI."""
