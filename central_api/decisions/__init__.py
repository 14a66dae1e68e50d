"""Central decisions and the live state they read.

Central decisions: a gate's request answered from the decision inputs (cached per process
while the decision-data version holds, or read from the database) and the live state read
fresh for each decision, then the shared pure `decide()`. `decide.decide` is the entry.
"""
