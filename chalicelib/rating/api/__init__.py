"""HTTP routes of the rating context (a route group of chalicelib.routes): parse and map; services decide."""
