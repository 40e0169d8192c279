"""Live events over Redis pub/sub: job progress and card changes."""
