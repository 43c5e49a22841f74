"""The model's tests (a package, so that their module names may repeat the API tests')."""
