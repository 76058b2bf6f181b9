"""Assets: the products a customer owns (what repair tickets are about)."""
