"""The shared aiohttp app: intake routes of HTTP channels, the JSON API, health, metrics, dashboard."""
