"""The intent model and its evaluation command."""
