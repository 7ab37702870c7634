"""The exchange with school administration packages (docs/rules.md, "Exchange"; docs/exchange.md).

``outgoing`` turns every new or corrected registration, roll-call mark, justification and
exemption into a signed event per interested connection, delivered by the background worker;
``incoming`` is the API endpoint a peer sends its events to; ``operations`` and ``routes`` are
support's pages (connections, deliveries, the one-time push); its blueprint lives in
``routes`` so that importing the hook does not import the pages.
"""
