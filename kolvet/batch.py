"""Batch roster vetting (issue 7): being written."""
