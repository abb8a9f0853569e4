"""The chain client: encodings, the deployed contracts, their errors, deployments, sessions.

Knows nothing of OpenPGP or storage: it carries the bytes the contracts hold.
"""
