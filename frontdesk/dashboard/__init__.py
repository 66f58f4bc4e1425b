"""The operator's dashboard served at `/`: cases, a case page with actions, settings, report, sign-in."""
