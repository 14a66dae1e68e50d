"""portgate."""
