"""Bridges from lrtui to other people's training loops (no Textual here)."""
