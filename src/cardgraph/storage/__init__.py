"""MongoDB access: clients, collection names and indexes."""
