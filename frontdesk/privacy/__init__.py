"""Personal data: encryption at rest, log redaction, retention, and the data subject's rights."""
