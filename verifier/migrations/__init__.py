"""Alembic migrations of the verifier's database (applied at start-up by :meth:`verifier.db.Database.upgrade`)."""
