"""The generic HTTP channel: `POST /api/messages` for any system that can send JSON."""
