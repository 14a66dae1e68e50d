"""`portgate demo --community`: a hub and two terminals on one machine, bridged as in production.

This room owns what starts a small community locally: the formation of the community on
fresh databases (`formation`), `portgate api` as a child process (`api_process`), the
brokers with the hub's TLS listener and the terminals' bridges (`network`), the seeding
of each installation (`seed`) and the scripted, self-checked story (`story`). The tests'
three-installation fixture (testkit/community_net.py) starts its installations with the
same code.
"""
