"""The panes of the main screen and the plots the screens share; each receives frames, computes nothing."""
