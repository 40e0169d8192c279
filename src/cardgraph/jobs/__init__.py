"""Jobs: slow work recorded in MongoDB, run by Celery workers, reported over subscriptions."""
