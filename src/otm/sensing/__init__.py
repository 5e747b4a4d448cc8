"""sensing layer (see DESIGN.md)."""
