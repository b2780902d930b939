"""The three executors (reference, exact, soft) and what they share."""
