"""The domain: assets, links, anomalies and the repository interfaces. No I/O."""
