"""EtherNet/IP encapsulation and CIP codec (sans I/O)."""
