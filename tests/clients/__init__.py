"""Real monitoring clients from PyPI, unmodified, against mock-em on a real socket."""
