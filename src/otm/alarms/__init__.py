"""Alarms in the ISA-18.2 sense: definitions, states, floods (pure, deterministic)."""
