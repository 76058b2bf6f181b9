"""Demo data: realistic customers, assets, interactions and tickets for demos and manual testing."""
