"""Built-in sources, registered through the same hooks as third-party plugins."""
