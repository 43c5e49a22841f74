"""The pure domain: what an Enterprise Manager knows, in the vendor's names, free of HTTP and XML."""
