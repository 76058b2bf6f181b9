"""Authentication: users, argon2 password hashes, bearer tokens, role checks, login rate limiting."""
