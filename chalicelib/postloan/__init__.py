"""The post-loan context: five-category classification, reminders, inspections, risk warnings and notifications,
run by the daily jobs.

Other contexts use it only through :mod:`chalicelib.postloan.public`."""
