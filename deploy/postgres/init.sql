-- The second database: Rasa's tracker store (the transcripts). The ledger is POSTGRES_DB (ar).
CREATE DATABASE transcripts OWNER ar;
