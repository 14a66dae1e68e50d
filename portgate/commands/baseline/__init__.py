"""`portgate baseline ...`: a site scored against a security baseline profile."""
