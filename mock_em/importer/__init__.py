"""`mock-em import`: read a real Enterprise Manager over its REST API into a fixture mock-em serves.

The crawl (`crawl.py`) reads every family the source serves in entity form, through the query
service where the family has a query type; each family turns what it read back into model
objects (`Family.reads`, with `entity.Entity`); the objects become a world written as a fixture.
"""
