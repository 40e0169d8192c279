"""cardgraph: immutable, versioned model cards over GraphQL."""

__version__ = "0.1.0"
