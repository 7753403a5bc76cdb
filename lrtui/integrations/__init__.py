"""lrtui inside other programs' training loops (Keras). Imports engine and settings, never Textual."""
