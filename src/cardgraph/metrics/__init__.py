"""Evaluation metrics from files: parsing (pure) and ingestion into cards (jobs)."""
