"""Screens of the kolvet browser."""
