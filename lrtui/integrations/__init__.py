"""lrtui inside other programs' training loops (Keras next). Imports engine and settings, never Textual."""
