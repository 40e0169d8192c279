"""Model cards: content rules, versions, repository and service."""
