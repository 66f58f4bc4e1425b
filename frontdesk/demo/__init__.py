"""`frontdesk demo`: sample complaints pushed through a running (or embedded) platform."""
