"""What to say: the dialogue, per-user conversation state and every fixed text."""
