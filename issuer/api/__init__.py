"""The issuer's HTTP routes: thin shells that parse the request, call the domain and shape the response."""
