"""Invoice copies and statements: what they say (from the ledger), their PDFs and e-invoices, signed links, and their delivery log."""
