"""Built-in functions, registered through the same hooks as third-party plugins."""
