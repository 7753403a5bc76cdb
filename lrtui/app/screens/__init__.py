"""Screens pushed over the main one (help, landscape, range test, optimizer, compare) and the palette."""
