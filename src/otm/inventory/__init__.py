"""inventory layer (see DESIGN.md)."""
