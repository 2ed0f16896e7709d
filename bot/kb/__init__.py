"""The knowledge base: entries and their validation, storage and revisions, curation,
the live index and the `kb` commands."""
