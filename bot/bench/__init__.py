"""The benchmark (`python -m bot bench`): a generated ledger, simulated customers, the bare Rasa bot beside us."""
