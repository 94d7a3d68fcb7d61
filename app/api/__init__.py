"""The JSON API: routes, schemas, the error envelope and the shared pipeline."""
