"""Thread workers between the app and the engine: pacing, the run worker, the compare worker. No Textual."""
