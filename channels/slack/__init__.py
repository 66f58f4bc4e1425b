"""The Slack channel: Events API, the "Report as complaint" shortcut and page buttons, served by slack-bolt."""
