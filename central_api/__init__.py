"""central_api."""
