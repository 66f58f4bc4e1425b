"""Mastodon: mention notifications and hashtag / keyword streams through Mastodon.py."""
