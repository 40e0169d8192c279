"""GraphQL types and resolvers of the audit log and verification."""
