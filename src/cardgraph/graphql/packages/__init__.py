"""GraphQL types and resolvers of model packages."""
