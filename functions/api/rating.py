"""API function for the rating route group (campaigns, notices, objections, ratings, credit lines, evaluations)."""
from chalice import Chalice

from chalicelib.routes import mount

app = mount(Chalice(app_name="village-credit-rating"), "rating")
