"""What a run is: the Settings, the strict parser of every value, and the option table. Imports nothing of lrtui."""
