"""A trader's own figures over their trade plans: ``service.ReportService`` (the one entry),
``store`` (the queries), ``aggregate`` (pure arithmetic), ``timezone`` (``/settings tz``)."""
