"""`portgate report ...`: access, alarms, companies and overrides reports; scheduled runs."""
