"""Process-local caches: a bounded LRU map, shared reads, and freshness by change events."""
