"""Local stand-ins for the providers' APIs, served on loopback for tests."""
