"""Celery workers: thin task entry points over `cardgraph` services."""
