"""Channel state kept in the ledger database and channel-independent text rules: deliveries seen, outbox, opt-outs, SMS and Slack text."""
