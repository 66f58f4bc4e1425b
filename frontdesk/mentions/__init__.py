"""The cross-network mentions view for marketing: the mentions index, sentiment, spikes, the page and its API.

Also home of the network clients shared by `channels/` and `outbound/`, which
may not import each other.
"""
