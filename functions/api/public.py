"""API function for the public-management route group (health, docs, organisations, parameters, audit)."""
from chalice import Chalice

from chalicelib.routes import mount

app = mount(Chalice(app_name="village-credit-public"), "public")
