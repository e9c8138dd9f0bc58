"""Edges to other systems: Rasa pipeline components and, next, channel connectors."""
