"""HTTP routes of the customers context (a route group of chalicelib.routes): parse and map; services decide."""
