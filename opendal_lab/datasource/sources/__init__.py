"""Built-in data sources: files on any operator (``files``), SQL through ADBC (``sql``)."""
