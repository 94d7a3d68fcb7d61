"""The JSON API: routes, schemas, the error envelope, the serving guards and the page."""
