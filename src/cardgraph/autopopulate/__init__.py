"""Autopopulation: SageMaker resources mapped into card content (mapping is pure)."""
