"""End-to-end tests: the seed page, crawling every link, determinism and the real server."""
