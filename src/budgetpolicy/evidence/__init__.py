"""Evidence that development money moved performance: KPI actuals, effectiveness by format, plan versus actual, case studies."""
