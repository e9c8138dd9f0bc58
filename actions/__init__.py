"""The Rasa action server: thin actions, one module per capability, over the bot core."""
