"""The AR assistant's core: plain Python over SQLAlchemy, in rooms by concern (see README, Architecture)."""
