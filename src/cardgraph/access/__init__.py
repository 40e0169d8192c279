"""Authentication and authorisation: API keys, roles, the acting principal."""
