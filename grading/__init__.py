"""Grading free-text answers against a question's key points (keywords and embeddings)."""
