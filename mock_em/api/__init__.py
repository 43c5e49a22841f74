"""Thin routers per vendor resource family: parse the request, ask the model, render the answer."""
