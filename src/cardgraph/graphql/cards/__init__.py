"""GraphQL types and resolvers for cards."""
