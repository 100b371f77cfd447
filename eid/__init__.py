"""A development stand-in for the national eID provider: OpenID Connect discovery, keys, login and tokens.

Its own party: it imports none of the other services and is reached only over OpenID Connect. It refuses to
start unless development mode is set explicitly.
"""
