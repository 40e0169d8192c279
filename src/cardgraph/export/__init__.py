"""Batch export of many cards into one zip, spread over the worker processes."""
