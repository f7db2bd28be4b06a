"""HTTP routes of the admin context (a route group of chalicelib.routes): parse and map; services decide."""
