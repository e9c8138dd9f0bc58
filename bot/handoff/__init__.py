"""Handing a conversation to an AR collector: why, the context they see, who owns it, and the relay rules."""
