"""One widget per pane; each owns its rendering and its messages."""
