"""pytest plugin for budgetpolicy plugin authors (fixtures are added by the plugin-system work)."""
