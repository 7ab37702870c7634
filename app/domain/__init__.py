"""Pure domain rules: no Flask, no SQLAlchemy, no clock. Every rule takes ``now`` as an argument."""
