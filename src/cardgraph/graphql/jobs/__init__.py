"""GraphQL types, resolvers and subscriptions of jobs and card events."""
