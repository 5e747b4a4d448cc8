"""The historian: tag samples over time, rollups, retention, queries, exports."""
