"""The security baseline: shipped profiles, and each site scored against one.

A profile (YAML, `profile`: the pydantic schema, extra keys refused with the key named;
three shipped in `profiles/`: "EU port facility, ISPS level 1/2/3") says what a site must
and should have set. `facts` reads what a site has set today (its gates, four eyes,
insider rules, the installation's broker TLS and audit anchor, what is not available
yet); `checks` is pure: a profile over those facts gives findings, each with its fix, and
a score. `portgate baseline check`, the API route and the dashboard page show them.
"""
