"""The REST resources, one module each, mounted under ``/api/v1`` by ``otm.api.app``."""
