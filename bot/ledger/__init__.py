"""What is stored and what follows from it: the tables, derived figures, the ERP import, the audit log, references."""
