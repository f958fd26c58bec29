"""Request and response bodies of the /v1 API, one module per area.

These are the HTTP contract, not the domain: requests refuse unknown fields
and wrong JSON types, bound every length (the domain's limits), and are
turned into plain arguments of one service call; responses describe what a
route serialises. Domain events never appear here.
"""
