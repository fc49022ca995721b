"""Built-in allocators, registered through the same hooks as third-party plugins."""
