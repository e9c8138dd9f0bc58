"""What customers ask the AR team for: payments, plans, promises, disputes, contacts, documents, handoffs."""
