"""The PDF report: the render service, its cache in REPORTS_DIR, and the WeasyPrint worker
processes. Imports the store and the core; never the web layer."""
