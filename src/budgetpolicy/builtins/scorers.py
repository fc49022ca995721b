"""Built-in scorers, registered through the same hooks as third-party plugins."""
