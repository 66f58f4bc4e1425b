"""X (formerly Twitter): mentions of our account and search queries through API v2 (tweepy)."""
