"""The order steps, the market (matching of parts with open orders), the views of orders, and
which models a member's Kubo node pins for which job (pinning).

The one layer that combines parts, transfer and the chain.
"""

#: How ``market.offers`` (``ape run order match --rank``) can rank the offers: by price, delivery
#: and fit, or by the producer's track record first. Here, not in ``market``, so the CLI offers
#: the choice without loading the market.
RANKINGS = ("price", "record")
