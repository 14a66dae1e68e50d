"""Support for tests of the central API: a seeded world, request helpers, servers in threads."""
