"""Running the assistant: the application object, the server runner and the command line."""
