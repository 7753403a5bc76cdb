"""VHS tapes: the .tape format and a player that drives the app with it. Imports the app, never the commands."""
