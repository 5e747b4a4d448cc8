"""otm: open-source OT management (discovery, inventory, monitoring)."""

__version__ = "0.1.0"
