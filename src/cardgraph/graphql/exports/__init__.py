"""Exports over GraphQL: one card to PDF, many cards to a zip."""
