"""AWS access: the only place boto3 clients are made."""
