"""Model package versions: a mirror of the registry, one-to-one links to cards, sync."""
