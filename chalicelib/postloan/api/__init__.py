"""HTTP routes of the postloan context (a route group of chalicelib.routes): parse and map; services decide."""
