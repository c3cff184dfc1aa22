"""The panel's request handlers, one module per page or concern."""
