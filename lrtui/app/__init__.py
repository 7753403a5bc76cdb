"""The Textual app: screens, widgets, themes and the terminal runner. Imports workers, engine and settings."""
