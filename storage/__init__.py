"""SQLite storage: one write connection behind a lock, a read-only one, and small repositories."""
