"""The case store: tables, engine and migrations, and the operations on cases."""
