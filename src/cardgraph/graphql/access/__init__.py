"""GraphQL types and resolvers for API keys."""
