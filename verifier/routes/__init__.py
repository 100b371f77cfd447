"""HTTP routes: thin shells that parse, call the domain, and shape the answer."""
