"""The customer record: customers, contact points, assets, interactions, tickets and their workflow."""
