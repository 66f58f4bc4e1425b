"""Outbound senders: acknowledgments and pages, one module per channel, plus templates and checks."""
