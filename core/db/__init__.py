"""Persistence: engine and unit of work (`session`), ORM models, repositories."""
