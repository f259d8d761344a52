"""Widgets of the kolvet browser."""
