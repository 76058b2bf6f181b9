"""The FastAPI application: API composition, authentication, health and metrics (later the console pages)."""
