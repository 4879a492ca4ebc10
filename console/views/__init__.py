"""Console pages: glue between the request, the apps' selectors and a template (ARCHITECTURE style 17)."""
