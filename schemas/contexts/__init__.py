"""Pinned JSON-LD context documents (data files only; loaded through ``schemas.pinned_contexts``)."""
