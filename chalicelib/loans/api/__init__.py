"""HTTP routes of the loans context (a route group of chalicelib.routes): parse and map; services decide."""
