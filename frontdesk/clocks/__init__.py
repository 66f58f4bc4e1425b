"""Response-time clocks: targets per urgency, business hours, warnings before a breach, breaches on record."""
