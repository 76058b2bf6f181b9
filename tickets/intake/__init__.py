"""Other channels into the customer record: the web intake form and the e-mail importer."""
