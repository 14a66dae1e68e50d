"""The API routes, one module per area; each route declares who may call it."""
