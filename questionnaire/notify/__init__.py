"""Messages to people and other systems, sent off the request path after the change they
announce is committed: e-mail (letters written from plain data) and webhooks. A layer
beside ``reports``: it may use the store and the core, and nothing above."""
