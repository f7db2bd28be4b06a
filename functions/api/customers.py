"""API function for the customer-management route group (households, members, agricultural entities,
roster imports, PAD sync, images)."""
from chalice import Chalice

from chalicelib.routes import mount

app = mount(Chalice(app_name="village-credit-customers"), "customers")
