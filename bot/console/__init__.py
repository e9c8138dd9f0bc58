"""The managers' web console: transcripts, review inbox, figures, behind a login."""
