"""The Textual shortlist browser: a thin shell over kolvet.pipeline."""
