"""API function for the post-loan route group (warnings, overdue and classification lists, inspections)."""
from chalice import Chalice

from chalicelib.routes import mount

app = mount(Chalice(app_name="village-credit-postloan"), "postloan")
