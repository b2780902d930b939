"""Rich renderings of results (one module per view)."""
